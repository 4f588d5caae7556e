// The public API compiles as C++ too, initialisers included.
#include <tsuiseki.h>
int main()
{
	tsk_request_env renv = TSK_REQUEST_ENV_INIT;
	tsk_response resp = TSK_RESPONSE_INIT;
	tsk_parse_env penv = TSK_PARSE_ENV_INIT;
	tsk_adapter a = TSK_ADAPTER_INIT;
	return tsk_version() && renv.version && resp.version && penv.version && a.version ? 0 : 1;
}
