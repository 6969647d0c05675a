#include <stdio.h>
int main(void) { puts("sluice"); return 0; }
