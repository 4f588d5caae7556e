/*
 * tsuiseki — common definitions shared by every public header.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TSUISEKI_COMMON_H
#define TSUISEKI_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32) && !defined(__GNUC__)
#  define TSK_API __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#  define TSK_API __attribute__((visibility("default")))
#else
#  define TSK_API
#endif

#ifdef __cplusplus
#  define TSK_BEGIN_DECLS extern "C" {
#  define TSK_END_DECLS }
#else
#  define TSK_BEGIN_DECLS
#  define TSK_END_DECLS
#endif

#endif /* TSUISEKI_COMMON_H */
