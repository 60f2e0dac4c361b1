"""Plain data and rules: ids, clocks, operations, the record schema. No I/O, no Qt."""
