//! `proctor serve`: the node agent and Prometheus exporter (in progress:
//! not yet a command).

pub mod http;
pub mod page;
