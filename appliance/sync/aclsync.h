/*
 * aclsync.h — ACL sync (sync.topic.acls.enabled): a thread per flow that
 * copies the source's ACL bindings of mirrored topics and synced groups to
 * the target as acl/aclmap.h's rules say, and removes from the target what
 * it created once the source no longer has it.
 */
#ifndef FERRY_ACLSYNC_H
#define FERRY_ACLSYNC_H

/* The thread's body; ARG is the struct flow. Runs a round at start, then
 * every sync.topic.acls.interval.seconds until the flow stops. */
void *aclsync_main(void *arg);

#endif
