// The public API compiles as C++ too.
#include <tsuiseki.h>
int main() { return tsk_version() ? 0 : 1; }
