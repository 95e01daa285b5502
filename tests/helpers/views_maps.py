"""Live-test helper for `proctor maps`: maps anonymous private regions of
1 MiB (untouched), 2 MiB (first half touched) and 4 MiB (all touched), a
512 KiB shared anonymous region (touched), the file argv[1]/mapped.dat
(256 KiB, every page read) and a 64 KiB file whose name holds an ESC
sequence, a newline and an invalid UTF-8 byte (read). Then idles, so its
memory figures are stable. Prints READY."""
import mmap
import os
import sys

sys.dont_write_bytecode = True
import live_lifecycle as life  # noqa: E402

KIB = 1024
MIB = 1024 * KIB
HOSTILE_NAME = b"map\x1b[31m\n\xff.dat"


def touch(m, length):
    for off in range(0, length, mmap.PAGESIZE):
        m[off] = 1


def read_all(m, length):
    total = 0
    for off in range(0, length, mmap.PAGESIZE):
        total += m[off]
    return total


def map_file(path, size):
    with open(path, "wb") as f:
        f.write(b"\x01" * size)
    fd = os.open(path, os.O_RDONLY)
    try:
        m = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ)
    finally:
        os.close(fd)
    read_all(m, size)
    return m


def main():
    life.install()
    base = os.fsencode(sys.argv[1])
    maps = []

    def close_all():
        for m in maps:
            try:
                m.close()
            except Exception:
                pass

    life.on_exit(close_all)
    private = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS
    maps.append(mmap.mmap(-1, 1 * MIB, private))
    half = mmap.mmap(-1, 2 * MIB, private)
    touch(half, 1 * MIB)
    maps.append(half)
    full = mmap.mmap(-1, 4 * MIB, private)
    touch(full, 4 * MIB)
    maps.append(full)
    shared = mmap.mmap(-1, 512 * KIB, mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)
    touch(shared, 512 * KIB)
    maps.append(shared)
    maps.append(map_file(base + b"/mapped.dat", 256 * KIB))
    maps.append(map_file(base + b"/" + HOSTILE_NAME, 64 * KIB))
    life.serve("READY")


main()
