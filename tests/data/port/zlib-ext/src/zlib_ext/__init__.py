"""crc32 through the zlib library kiln built."""
