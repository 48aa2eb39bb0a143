int kilndemo_answer(int x);
