/* The library's version (include/tsuiseki/version.h). */
#include "tsuiseki.h"
#include "tsuiseki/version.h"

TSK_API const char *tsk_version(void)
{
	return TSK_VERSION_STRING;
}

TSK_API unsigned int tsk_version_number(void)
{
	return TSK_VERSION_NUMBER;
}
