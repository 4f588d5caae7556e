#!/usr/bin/env python3
"""The libcurl floor in meson.build is true: every libcurl option, info and
function the library uses was added in that version or before.

Each name used must be in ADDED_IN (its "Added-in" line in curl's own
documentation, docs/libcurl/opts/*.md); a name missing from the table fails
the test, so whoever uses a new one looks its version up."""
import re
import sys
from pathlib import Path

ADDED_IN = {
    # easy options
    'CURLOPT_ACCEPT_ENCODING': '7.21.6', 'CURLOPT_CONNECTTIMEOUT_MS': '7.16.2',
    'CURLOPT_CUSTOMREQUEST': '7.1', 'CURLOPT_FOLLOWLOCATION': '7.1', 'CURLOPT_HTTPGET': '7.8.1',
    'CURLOPT_HTTPHEADER': '7.1', 'CURLOPT_MAXFILESIZE_LARGE': '7.11.0', 'CURLOPT_MAXREDIRS': '7.5',
    'CURLOPT_NOSIGNAL': '7.10', 'CURLOPT_POST': '7.1', 'CURLOPT_POSTFIELDS': '7.1',
    'CURLOPT_POSTFIELDSIZE_LARGE': '7.11.1', 'CURLOPT_PRIVATE': '7.10.3',
    'CURLOPT_PROTOCOLS_STR': '7.85.0', 'CURLOPT_REDIR_PROTOCOLS_STR': '7.85.0',
    'CURLOPT_SSL_VERIFYHOST': '7.8.1', 'CURLOPT_SSL_VERIFYPEER': '7.4.2',
    'CURLOPT_TIMEOUT_MS': '7.16.2', 'CURLOPT_URL': '7.1', 'CURLOPT_USERAGENT': '7.1',
    'CURLOPT_WRITEDATA': '7.9.7', 'CURLOPT_WRITEFUNCTION': '7.1',
    'CURLOPT_HEADERFUNCTION': '7.7.2', 'CURLOPT_HEADERDATA': '7.10',
    'CURLOPT_XFERINFOFUNCTION': '7.32.0', 'CURLOPT_XFERINFODATA': '7.32.0',
    'CURLOPT_NOPROGRESS': '7.1', 'CURLOPT_ERRORBUFFER': '7.1', 'CURLOPT_UNRESTRICTED_AUTH': '7.10.4',
    'CURLOPT_POSTREDIR': '7.19.1', 'CURLOPT_MAXAGE_CONN': '7.65.0', 'CURLOPT_SHARE': '7.10',
    # infos
    'CURLINFO_CONTENT_TYPE': '7.9.4', 'CURLINFO_PRIVATE': '7.10.3',
    'CURLINFO_RESPONSE_CODE': '7.10.8', 'CURLINFO_RETRY_AFTER': '7.66.0',
    'CURLINFO_REDIRECT_URL': '7.18.2', 'CURLINFO_EFFECTIVE_URL': '7.4',
    'CURLINFO_CONTENT_LENGTH_DOWNLOAD_T': '7.55.0',
    # multi options
    'CURLMOPT_SOCKETDATA': '7.15.4', 'CURLMOPT_SOCKETFUNCTION': '7.15.4',
    'CURLMOPT_TIMERDATA': '7.16.0', 'CURLMOPT_TIMERFUNCTION': '7.16.0',
    'CURLMOPT_MAX_HOST_CONNECTIONS': '7.30.0', 'CURLMOPT_MAX_TOTAL_CONNECTIONS': '7.30.0',
    # functions
    'curl_easy_cleanup': '7.1', 'curl_easy_getinfo': '7.4.1', 'curl_easy_init': '7.1',
    'curl_easy_reset': '7.12.1', 'curl_easy_setopt': '7.1', 'curl_easy_strerror': '7.12.0',
    'curl_global_init': '7.8', 'curl_global_init_mem': '7.12.0', 'curl_multi_add_handle': '7.9.6',
    'curl_multi_cleanup': '7.9.6', 'curl_multi_info_read': '7.9.6', 'curl_multi_init': '7.9.6',
    'curl_multi_perform': '7.9.6', 'curl_multi_poll': '7.66.0', 'curl_multi_remove_handle': '7.9.6',
    'curl_multi_setopt': '7.15.4', 'curl_multi_socket_action': '7.15.4',
    'curl_multi_timeout': '7.15.4', 'curl_multi_wakeup': '7.68.0', 'curl_slist_append': '7.1',
    'curl_slist_free_all': '7.1', 'curl_free': '7.10', 'curl_url': '7.62.0',
    'curl_url_set': '7.62.0', 'curl_url_get': '7.62.0', 'curl_url_cleanup': '7.62.0',
}


def version(text):
    parts = [int(x) for x in text.split('.')]
    return tuple(parts + [0] * (3 - len(parts)))


def main():
    root = Path(sys.argv[1])
    m = re.search(r"dependency\('libcurl',\s*version:\s*'>=\s*([0-9.]+)'", (root / 'meson.build').read_text())
    if not m:
        print('meson.build states no libcurl floor')
        return 1
    floor = version(m.group(1))
    names = set()
    for src in sorted(list((root / 'lib').glob('*.c')) + list((root / 'carriers').rglob('*.c'))):
        text = src.read_text(encoding='utf-8')
        if 'curl/curl.h' not in text:
            continue
        names |= set(re.findall(r'\b(CURL(?:OPT|INFO|MOPT)_[A-Z0-9_]+)\b', text))
        own = set(re.findall(r'^static\b[^(]*\b(curl_[a-z_]+)\s*\(', text, re.M))
        names |= set(re.findall(r'\b(curl_[a-z_]+)\s*\(', text)) - own
    bad = 0
    for name in sorted(names):
        if name not in ADDED_IN:
            print(f'{name}: not in the table of tests/abi/curl_floor.py; add its Added-in version')
            bad += 1
        elif version(ADDED_IN[name]) > floor:
            print(f'{name}: added in libcurl {ADDED_IN[name]}, after the floor {m.group(1)} of meson.build')
            bad += 1
    print(f'{len(names)} libcurl names checked against the floor {m.group(1)}: {bad} problems')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
