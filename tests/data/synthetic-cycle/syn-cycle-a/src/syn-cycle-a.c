int syn_cycle_a(void) { return 1; }
