/* tests/unit/testutil.h: the whole unit-test harness: cmocka plus helpers. */
#ifndef FE_TESTUTIL_H
#define FE_TESTUTIL_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#endif
