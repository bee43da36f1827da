// Exit codes the service managers act on (PM2 stop_exit_codes, systemd RestartPreventExitStatus). A module of its
// own, free of imports, so that bin/ocpp-edge.ts can use it before it knows the Node version is supported.

/** An invalid configuration (or an unsupported Node), distinct from a crash (1): restarting cannot fix it. */
export const EXIT_CONFIG = 2;
