int syn_broken(void) { return 1; }
