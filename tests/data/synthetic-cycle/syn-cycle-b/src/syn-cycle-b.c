int syn_cycle_b(void) { return 1; }
