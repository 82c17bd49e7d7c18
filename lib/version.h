/* version.h — the one place ferry's version is written. */
#ifndef FERRY_VERSION_H
#define FERRY_VERSION_H
#define FERRY_VERSION "0.1.0"
#endif
