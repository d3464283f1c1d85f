// SPDX-License-Identifier: GPL-2.0
/*
 * smc_run.so: LD_PRELOAD library that turns an unmodified program's TCP
 * sockets into AF_SMC sockets, as smc-tools' smc_run does (smc-tools is
 * not packaged for Debian 12). socket(AF_INET[6], SOCK_STREAM, 0|TCP)
 * becomes socket(AF_SMC, SOCK_STREAM, SMCPROTO_SMC[6]); everything else
 * is left alone. SMC falls back to TCP by itself where it cannot be used.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <sys/socket.h>

#ifndef AF_SMC
#define AF_SMC		43
#endif
#define SMCPROTO_SMC	0
#define SMCPROTO_SMC6	1

int socket(int domain, int type, int protocol)
{
	static int (*real_socket)(int, int, int);

	if (!real_socket)
		real_socket = dlsym(RTLD_NEXT, "socket");
	if ((domain == AF_INET || domain == AF_INET6) &&
	    (type & 0xf) == SOCK_STREAM &&
	    (protocol == 0 || protocol == IPPROTO_TCP))
		return real_socket(AF_SMC, type, domain == AF_INET6 ?
				   SMCPROTO_SMC6 : SMCPROTO_SMC);
	return real_socket(domain, type, protocol);
}
