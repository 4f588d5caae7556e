/* Each public header compiles alone, warning-free, in strict C. */
#include HEADER
int main(void) { return 0; }
