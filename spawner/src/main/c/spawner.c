/* Placeholder until the spawner lands (issue 5). */
int main(void) { return 0; }
