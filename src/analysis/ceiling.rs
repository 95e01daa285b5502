//! Limits: how much of a limit is used, and (to come) which limit applies
//! and how long until it is reached. One home, so that every command gives
//! the same answer to the same question.

/// `used` as a percentage of `limit`. `None` for a limit of 0: a ceiling
/// with no room at all is not a percentage (and never a division by zero).
pub fn percent_of(used: u64, limit: u64) -> Option<f64> {
    (limit > 0).then(|| used as f64 * 100.0 / limit as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent() {
        assert_eq!(percent_of(512, 1024), Some(50.0));
        assert_eq!(percent_of(0, 1024), Some(0.0));
        assert_eq!(percent_of(2048, 1024), Some(200.0));
        assert_eq!(percent_of(5, 0), None);
        assert_eq!(percent_of(u64::MAX, u64::MAX), Some(100.0));
    }
}
