int syn_cycle_c(void) { return 1; }
