/* SPDX-License-Identifier: MIT */
/* Common prelude of the unit tests (cmocka). */
#ifndef RAMPART_UNIT_H
#define RAMPART_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#endif
