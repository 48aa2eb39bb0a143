int syn_base(void) { return 1; }
