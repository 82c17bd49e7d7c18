/*
 * control.h — ferryd's control socket: the UNIX listener (and optionally a
 * TLS one), sessions, framing, authorisation and auditing of requests.
 * Everything runs on the main thread's sd-event loop.
 */
#ifndef FERRY_CONTROL_H
#define FERRY_CONTROL_H

#include <systemd/sd-event.h>

#include "lib/err.h"
#include "appliance/runtime.h"

struct control;

/* Listens on the runtime configuration's ferry.control.socket (and TLS
 * listener when configured). */
int control_start(sd_event *ev, struct runtime *rt, struct control **out, struct ferr *err);
void control_stop(struct control *c);

#endif
