int syn_slow_b(void) { return 1; }
