int empty_answer(void) { return 42; }
