int syn_slow_a(void) { return 1; }
