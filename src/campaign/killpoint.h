/* killpoint.h — test hook for the crash-safety tests: with the environment
 * variable LLE_TEST_KILL_AT=<point>:<n> the process raises SIGKILL the n-th
 * time (1-based) it reaches the named point, as a power cut would stop it
 * there. Points (in the order one experiment passes them): "running" (the
 * journal marked it running), "ran" (the result is in memory), "result-id"
 * (its id is journaled), "file" (the <id>.json file is written), "done-tx"
 * (inside the put-and-mark-done transaction, before COMMIT), "done" (after
 * COMMIT), "cooldown" (between experiments). Unset (always, outside tests):
 * does nothing. Not installed. */
#ifndef LLE_CAMPAIGN_KILLPOINT_H
#define LLE_CAMPAIGN_KILLPOINT_H

void lle_killpoint(const char *point);

#endif
