int syn_needs_broken(void) { return 1; }
