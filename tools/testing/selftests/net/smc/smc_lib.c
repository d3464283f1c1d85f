// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the SMC selftests, see smc_lib.h.
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/smc.h>
#include <linux/smc_diag.h>
#include <linux/sock_diag.h>

#include "smc_lib.h"

char smc_lib_err[256];

static void set_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(smc_lib_err, sizeof(smc_lib_err), fmt, ap);
	va_end(ap);
}

/* ---- sockets ---------------------------------------------------------- */

static int fill_sockaddr(int family, const char *addr, __u16 port,
			 struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1)
			return -EINVAL;
		*len = sizeof(*sin);
	} else if (family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
		char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
		char *scope, *end;

		if (snprintf(buf, sizeof(buf), "%s", addr) >= (int)sizeof(buf))
			return -EINVAL;
		/* link-local with its interface: fe80::1%eth0 or fe80::1%2 */
		scope = strchr(buf, '%');
		if (scope) {
			*scope++ = 0;
			sin6->sin6_scope_id = if_nametoindex(scope);
			if (!sin6->sin6_scope_id) {
				sin6->sin6_scope_id = strtoul(scope, &end, 10);
				if (!*scope || *end || !sin6->sin6_scope_id)
					return -EINVAL;
			}
		}
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) != 1)
			return -EINVAL;
		*len = sizeof(*sin6);
	} else {
		return -EAFNOSUPPORT;
	}
	return 0;
}

int smc_lib_socket(enum smc_sock_kind kind, int family)
{
	int fd;

	if (kind == SMC_KIND_SMC)
		fd = socket(AF_SMC, SOCK_STREAM | SOCK_CLOEXEC,
			    family == AF_INET6 ? SMCPROTO_SMC6 : SMCPROTO_SMC);
	else
		fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		set_err("socket(%s, %s): %s",
			kind == SMC_KIND_SMC ? "AF_SMC" : "AF_INET*",
			family == AF_INET6 ? "IPv6" : "IPv4", strerror(errno));
		return -errno;
	}
	return fd;
}

bool smc_lib_af_smc_supported(int family, int *err)
{
	int fd = smc_lib_socket(SMC_KIND_SMC, family);

	if (fd < 0) {
		if (err)
			*err = -fd;
		return false;
	}
	close(fd);
	return true;
}

int smc_lib_bind_listen(int fd, int family, const char *addr, __u16 port,
			__u16 *bound_port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, rc;

	rc = fill_sockaddr(family, addr, port, &ss, &len);
	if (rc) {
		set_err("bad address %s", addr);
		return rc;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len)) {
		set_err("bind %s port %u: %s", addr, port, strerror(errno));
		return -errno;
	}
	if (listen(fd, 128)) {
		set_err("listen: %s", strerror(errno));
		return -errno;
	}
	if (bound_port) {
		rc = smc_lib_local_port(fd);
		if (rc < 0)
			return rc;
		*bound_port = rc;
	}
	return 0;
}

int smc_lib_listen(enum smc_sock_kind kind, int family, const char *addr,
		   __u16 port, __u16 *bound_port)
{
	int fd, rc;

	fd = smc_lib_socket(kind, family);
	if (fd < 0)
		return fd;
	rc = smc_lib_bind_listen(fd, family, addr, port, bound_port);
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}

int smc_lib_connect_fd(int fd, int family, const char *addr, __u16 port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int rc;

	rc = fill_sockaddr(family, addr, port, &ss, &len);
	if (rc) {
		set_err("bad address %s", addr);
		return rc;
	}
	do {
		rc = connect(fd, (struct sockaddr *)&ss, len);
	} while (rc && errno == EINTR);
	if (rc) {
		set_err("connect %s port %u: %s", addr, port, strerror(errno));
		return -errno;
	}
	return 0;
}

int smc_lib_connect(enum smc_sock_kind kind, int family, const char *addr,
		    __u16 port)
{
	int fd, rc;

	fd = smc_lib_socket(kind, family);
	if (fd < 0)
		return fd;
	rc = smc_lib_connect_fd(fd, family, addr, port);
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}

int smc_lib_accept(int lfd, int timeout_ms)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	int rc, fd;

	do {
		rc = poll(&pfd, 1, timeout_ms);
	} while (rc < 0 && errno == EINTR);
	if (rc < 0) {
		set_err("poll on listener: %s", strerror(errno));
		return -errno;
	}
	if (rc == 0) {
		set_err("no connection to accept within %d ms", timeout_ms);
		return -ETIMEDOUT;
	}
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		set_err("accept: %s", strerror(errno));
		return -errno;
	}
	return fd;
}

static int sock_port(int fd, bool peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int rc;

	rc = peer ? getpeername(fd, (struct sockaddr *)&ss, &len) :
		    getsockname(fd, (struct sockaddr *)&ss, &len);
	if (rc) {
		set_err("%s: %s", peer ? "getpeername" : "getsockname",
			strerror(errno));
		return -errno;
	}
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	set_err("unexpected address family %d", ss.ss_family);
	return -EAFNOSUPPORT;
}

int smc_lib_local_port(int fd)
{
	return sock_port(fd, false);
}

int smc_lib_peer_port(int fd)
{
	return sock_port(fd, true);
}

__u64 smc_lib_inode(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return 0;
	return st.st_ino;
}

/* ---- netlink core -------------------------------------------------------- */

#define NL_BUFSZ	(256 * 1024)

typedef int (*nl_msg_cb)(const struct nlmsghdr *nlh, void *ctx);

static int nl_open(int proto)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 10 };
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);
	if (fd < 0) {
		set_err("netlink socket(%d): %s", proto, strerror(errno));
		return -errno;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		set_err("netlink bind: %s", strerror(errno));
		close(fd);
		return -errno;
	}
	return fd;
}

/*
 * Send one request and feed every reply to cb until the dump is done or
 * the request is acknowledged. Returns the kernel's error (negative errno)
 * if there is one, else the first non-zero cb result, else 0.
 */
static int nl_request(int proto, struct nlmsghdr *req, nl_msg_cb cb,
		      void *ctx)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	static __u32 seq;
	bool is_dump = req->nlmsg_flags & NLM_F_DUMP;
	int fd, rc = 0, cb_rc = 0;
	char *buf;
	ssize_t n;

	fd = nl_open(proto);
	if (fd < 0)
		return fd;
	buf = malloc(NL_BUFSZ);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	if (!seq)
		seq = time(NULL);
	req->nlmsg_seq = ++seq;
	req->nlmsg_pid = 0;
	if (sendto(fd, req, req->nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0) {
		rc = -errno;
		set_err("netlink send: %s", strerror(errno));
		goto out;
	}
	for (;;) {
		struct nlmsghdr *nlh;

		n = recv(fd, buf, NL_BUFSZ, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			set_err("netlink recv: %s", strerror(errno));
			goto out;
		}
		if (n == 0) {
			rc = -EIO;
			set_err("netlink: unexpected end of data");
			goto out;
		}
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_seq != req->nlmsg_seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nlh);

				rc = e->error;
				if (rc)
					set_err("netlink error: %s",
						strerror(-rc));
				goto out;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				int v;

				if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(v))) {
					memcpy(&v, NLMSG_DATA(nlh), sizeof(v));
					if (v < 0) {
						rc = v;
						set_err("netlink dump: %s",
							strerror(-v));
					}
				}
				goto out;
			}
			if (cb && !cb_rc)
				cb_rc = cb(nlh, ctx);
			if (!is_dump && !(req->nlmsg_flags & NLM_F_ACK) &&
			    !(nlh->nlmsg_flags & NLM_F_MULTI))
				goto out;
		}
	}
out:
	free(buf);
	close(fd);
	return rc ? rc : cb_rc;
}

static int nla_put(struct nlmsghdr *nlh, size_t cap, int type,
		   const void *data, int len)
{
	struct nlattr *nla;

	if (NLMSG_ALIGN(nlh->nlmsg_len) + NLA_ALIGN(NLA_HDRLEN + len) > cap)
		return -EMSGSIZE;
	nla = (struct nlattr *)((char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len));
	nla->nla_type = type;
	nla->nla_len = NLA_HDRLEN + len;
	memcpy((char *)nla + NLA_HDRLEN, data, len);
	nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + NLA_ALIGN(nla->nla_len);
	return 0;
}

static int nla_put_str(struct nlmsghdr *nlh, size_t cap, int type,
		       const char *s)
{
	return nla_put(nlh, cap, type, s, strlen(s) + 1);
}

static void nla_parse(const struct nlattr **tb, int max, const void *head,
		      int len)
{
	const struct nlattr *nla = head;

	memset(tb, 0, sizeof(*tb) * (max + 1));
	while (len >= NLA_HDRLEN && nla->nla_len >= NLA_HDRLEN &&
	       nla->nla_len <= len) {
		int type = nla->nla_type & NLA_TYPE_MASK;

		if (type <= max)
			tb[type] = nla;
		len -= NLA_ALIGN(nla->nla_len);
		nla = (const struct nlattr *)((const char *)nla +
					      NLA_ALIGN(nla->nla_len));
	}
}

static const void *nla_data(const struct nlattr *nla)
{
	return (const char *)nla + NLA_HDRLEN;
}

static int nla_len(const struct nlattr *nla)
{
	return nla->nla_len - NLA_HDRLEN;
}

/* unsigned value of a u8/u16/u32/u64 attribute */
static __u64 nla_get_uint(const struct nlattr *nla)
{
	__u64 v64;
	__u32 v32;
	__u16 v16;

	switch (nla_len(nla)) {
	case 1:
		return *(const __u8 *)nla_data(nla);
	case 2:
		memcpy(&v16, nla_data(nla), 2);
		return v16;
	case 4:
		memcpy(&v32, nla_data(nla), 4);
		return v32;
	case 8:
		memcpy(&v64, nla_data(nla), 8);
		return v64;
	}
	return 0;
}

static __u64 nla_get_uint_or0(const struct nlattr *nla)
{
	return nla ? nla_get_uint(nla) : 0;
}

static void nla_get_str(const struct nlattr *nla, char *buf, size_t size)
{
	size_t len = nla_len(nla);

	if (len >= size)
		len = size - 1;
	memcpy(buf, nla_data(nla), len);
	buf[len] = 0;
}

/* ---- sock_diag for AF_SMC --------------------------------------------- */

struct diag_ctx {
	__u64 inode;
	struct smc_diag_info *info;
	int found;
	int seen;
	/* smc_diag_dump_all() */
	int (*each)(const struct smc_diag_info *info, void *arg);
	void *arg;
};

static void diag_parse(const struct nlmsghdr *nlh,
		       const struct smc_diag_msg *r,
		       struct smc_diag_info *info)
{
	const struct nlattr *tb[SMC_DIAG_MAX + 1];

	memset(info, 0, sizeof(*info));
	info->inode = r->diag_inode;
	info->state = r->diag_state;
	info->mode = r->diag_mode;
	info->sport = ntohs(r->id.idiag_sport);
	info->dport = ntohs(r->id.idiag_dport);

	nla_parse(tb, SMC_DIAG_MAX,
		  (const char *)r + NLMSG_ALIGN(sizeof(*r)),
		  nlh->nlmsg_len - NLMSG_LENGTH(sizeof(*r)));
	if (tb[SMC_DIAG_SHUTDOWN]) {
		info->has_shutdown = true;
		info->shutdown = nla_get_uint(tb[SMC_DIAG_SHUTDOWN]);
	}
	if (tb[SMC_DIAG_FALLBACK] &&
	    nla_len(tb[SMC_DIAG_FALLBACK]) >=
	    (int)sizeof(struct smc_diag_fallback)) {
		struct smc_diag_fallback fb;

		memcpy(&fb, nla_data(tb[SMC_DIAG_FALLBACK]), sizeof(fb));
		info->has_fallback = true;
		info->fallback_rsn = fb.reason;
		info->peer_diagnosis = fb.peer_diagnosis;
	}
	if (tb[SMC_DIAG_CONNINFO] &&
	    nla_len(tb[SMC_DIAG_CONNINFO]) >=
	    (int)sizeof(struct smc_diag_conninfo)) {
		struct smc_diag_conninfo ci;

		memcpy(&ci, nla_data(tb[SMC_DIAG_CONNINFO]), sizeof(ci));
		info->has_conn = true;
		info->conn_token = ci.token;
		info->sndbuf_size = ci.sndbuf_size;
		info->rmbe_size = ci.rmbe_size;
		info->peer_rmbe_size = ci.peer_rmbe_size;
	}
	if (tb[SMC_DIAG_DMBINFO] &&
	    nla_len(tb[SMC_DIAG_DMBINFO]) >=
	    (int)sizeof(struct smcd_diag_dmbinfo)) {
		struct smcd_diag_dmbinfo di;

		memcpy(&di, nla_data(tb[SMC_DIAG_DMBINFO]), sizeof(di));
		info->has_dmb = true;
		info->linkid = di.linkid;
		info->my_gid = di.my_gid;
		info->peer_gid = di.peer_gid;
		info->token = di.token;
		info->peer_token = di.peer_token;
	}
	if (tb[SMC_DIAG_LGRINFO] &&
	    nla_len(tb[SMC_DIAG_LGRINFO]) >=
	    (int)sizeof(struct smc_diag_lgrinfo)) {
		struct smc_diag_lgrinfo li;

		memcpy(&li, nla_data(tb[SMC_DIAG_LGRINFO]), sizeof(li));
		info->has_lgr = true;
		info->role = li.role;
		info->link_id = li.lnk[0].link_id;
		info->ibport = li.lnk[0].ibport;
		snprintf(info->ibname, sizeof(info->ibname), "%.*s",
			 (int)sizeof(li.lnk[0].ibname),
			 (const char *)li.lnk[0].ibname);
		snprintf(info->ib_gid, sizeof(info->ib_gid), "%.*s",
			 (int)sizeof(li.lnk[0].gid),
			 (const char *)li.lnk[0].gid);
		snprintf(info->ib_peer_gid, sizeof(info->ib_peer_gid), "%.*s",
			 (int)sizeof(li.lnk[0].peer_gid),
			 (const char *)li.lnk[0].peer_gid);
	}
}

static int diag_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct diag_ctx *ctx = arg;
	const struct smc_diag_msg *r;
	struct smc_diag_info info;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*r)))
		return 0;
	r = NLMSG_DATA(nlh);
	ctx->seen++;
	if (ctx->each) {
		diag_parse(nlh, r, &info);
		return ctx->each(&info, ctx->arg);
	}
	if (!ctx->inode || r->diag_inode != ctx->inode || ctx->found)
		return 0;
	ctx->found = 1;
	diag_parse(nlh, r, ctx->info);
	return 0;
}

static int diag_dump(struct diag_ctx *ctx)
{
	struct {
		struct nlmsghdr nlh;
		struct smc_diag_req req;
	} r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.nlh.nlmsg_len = sizeof(r);
	r.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	r.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	r.req.diag_family = AF_SMC;
	r.req.diag_ext = (1 << (SMC_DIAG_CONNINFO - 1)) |
			 (1 << (SMC_DIAG_LGRINFO - 1)) |
			 (1 << (SMC_DIAG_DMBINFO - 1));
	rc = nl_request(NETLINK_SOCK_DIAG, &r.nlh, diag_cb, ctx);
	if (rc)
		set_err("AF_SMC sock_diag dump failed: %s%s", strerror(-rc),
			rc == -ENOENT ? " (smc_diag not loaded?)" : "");
	return rc;
}

int smc_diag_check(void)
{
	struct diag_ctx ctx = { 0 };

	return diag_dump(&ctx);
}

int smc_diag_query_inode(__u64 inode, struct smc_diag_info *info)
{
	struct diag_ctx ctx = { .inode = inode, .info = info };
	int rc;

	if (!inode) {
		set_err("no inode");
		return -EINVAL;
	}
	rc = diag_dump(&ctx);
	if (rc)
		return rc;
	if (!ctx.found)
		set_err("socket inode %llu not in the AF_SMC sock_diag dump (%d sockets listed)",
			(unsigned long long)inode, ctx.seen);
	return ctx.found;
}

int smc_diag_query_fd(int fd, struct smc_diag_info *info)
{
	return smc_diag_query_inode(smc_lib_inode(fd), info);
}

int smc_diag_dump_all(int (*cb)(const struct smc_diag_info *info, void *arg),
		      void *arg)
{
	struct diag_ctx ctx = { .each = cb, .arg = arg };
	int rc;

	rc = diag_dump(&ctx);
	return rc < 0 ? rc : ctx.seen;
}

const char *smc_mode_str(int mode)
{
	switch (mode) {
	case SMC_DIAG_MODE_SMCR:
		return "SMCR";
	case SMC_DIAG_MODE_FALLBACK_TCP:
		return "FALLBACK_TCP";
	case SMC_DIAG_MODE_SMCD:
		return "SMCD";
	}
	return "UNKNOWN";
}

void smc_diag_format(const struct smc_diag_info *info, char *buf, size_t len)
{
	int n;

	n = snprintf(buf, len, "mode %s fallback_rsn 0x%08x peer_diag 0x%08x",
		     smc_mode_str(info->mode), info->fallback_rsn,
		     info->peer_diagnosis);
	if (info->has_dmb && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - n,
			 " gid 0x%016llx peer_gid 0x%016llx token 0x%llx peer_token 0x%llx",
			 (unsigned long long)info->my_gid,
			 (unsigned long long)info->peer_gid,
			 (unsigned long long)info->token,
			 (unsigned long long)info->peer_token);
	else if (info->has_lgr && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - n,
			 " link %u ibdev %s port %u gid %s peer_gid %s",
			 info->link_id, info->ibname, info->ibport,
			 info->ib_gid, info->ib_peer_gid);
}

/* ---- generic netlink ------------------------------------------------------ */

struct genl_req {
	struct nlmsghdr nlh;
	struct genlmsghdr genl;
	char attrs[1024];
};

static void genl_req_init(struct genl_req *r, int family, int cmd,
			  int version, int flags)
{
	memset(r, 0, sizeof(*r));
	r->nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->nlh.nlmsg_type = family;
	r->nlh.nlmsg_flags = NLM_F_REQUEST | flags;
	r->genl.cmd = cmd;
	r->genl.version = version;
}

static const void *genl_attrs(const struct nlmsghdr *nlh, int *len)
{
	*len = nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	return (const char *)NLMSG_DATA(nlh) + GENL_HDRLEN;
}

static int family_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1];
	int *id = arg, len;
	const void *attrs;

	if (nlh->nlmsg_type != GENL_ID_CTRL ||
	    nlh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return 0;
	attrs = genl_attrs(nlh, &len);
	nla_parse(tb, CTRL_ATTR_MAX, attrs, len);
	if (tb[CTRL_ATTR_FAMILY_ID])
		*id = nla_get_uint(tb[CTRL_ATTR_FAMILY_ID]);
	return 0;
}

int genl_resolve_family(const char *name)
{
	static struct {
		char name[GENL_NAMSIZ];
		int id;
	} cache[4];
	struct genl_req r;
	int i, rc, id = 0;

	for (i = 0; i < 4; i++)
		if (cache[i].id && !strcmp(cache[i].name, name))
			return cache[i].id;
	genl_req_init(&r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, NLM_F_ACK);
	nla_put_str(&r.nlh, sizeof(r), CTRL_ATTR_FAMILY_NAME, name);
	rc = nl_request(NETLINK_GENERIC, &r.nlh, family_cb, &id);
	if (rc) {
		set_err("generic netlink family %s: %s", name, strerror(-rc));
		return rc;
	}
	if (id <= 0) {
		set_err("generic netlink family %s: no id in reply", name);
		return -ENOENT;
	}
	for (i = 0; i < 4; i++) {
		if (!cache[i].id) {
			snprintf(cache[i].name, sizeof(cache[i].name), "%s",
				 name);
			cache[i].id = id;
			break;
		}
	}
	return id;
}

/* dump one SMC_GEN_NETLINK command, calling cb for every message */
static int smc_nl_dump(int cmd, nl_msg_cb cb, void *ctx)
{
	struct genl_req r;
	int family;

	family = genl_resolve_family(SMC_GENL_FAMILY_NAME);
	if (family < 0)
		return family;
	genl_req_init(&r, family, cmd, SMC_GENL_FAMILY_VERSION, NLM_F_DUMP);
	return nl_request(NETLINK_GENERIC, &r.nlh, cb, ctx);
}

/* the nest of type 'type' at the top level of a SMC_GEN_NETLINK message */
static const struct nlattr *smc_nl_nest(const struct nlmsghdr *nlh, int type,
					const void **data, int *len)
{
	const struct nlattr *tb[SMC_GEN_MAX + 1];
	const void *attrs;
	int alen;

	if (nlh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return NULL;
	attrs = genl_attrs(nlh, &alen);
	nla_parse(tb, SMC_GEN_MAX, attrs, alen);
	if (!tb[type])
		return NULL;
	*data = nla_data(tb[type]);
	*len = nla_len(tb[type]);
	return tb[type];
}

struct list_ctx {
	void *items;
	int max;
	int count;
};

static int dev_smcd_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[SMC_NLA_DEV_MAX + 1];
	const struct nlattr *pt[SMC_NLA_DEV_PORT_MAX + 1];
	struct list_ctx *ctx = arg;
	struct smcd_dev_info *d;
	const void *data;
	int len;

	if (!smc_nl_nest(nlh, SMC_GEN_DEV_SMCD, &data, &len))
		return 0;
	if (ctx->count >= ctx->max) {
		ctx->count++;
		return 0;
	}
	d = (struct smcd_dev_info *)ctx->items + ctx->count++;
	memset(d, 0, sizeof(*d));
	nla_parse(tb, SMC_NLA_DEV_MAX, data, len);
	if (tb[SMC_NLA_DEV_USE_CNT]) {
		d->has_use_cnt = true;
		d->use_cnt = nla_get_uint(tb[SMC_NLA_DEV_USE_CNT]);
	}
	if (tb[SMC_NLA_DEV_IS_CRIT]) {
		d->has_is_crit = true;
		d->is_crit = nla_get_uint(tb[SMC_NLA_DEV_IS_CRIT]);
	}
	if (tb[SMC_NLA_DEV_PCI_FID]) {
		d->has_fid = true;
		d->pci_fid = nla_get_uint(tb[SMC_NLA_DEV_PCI_FID]);
	}
	if (tb[SMC_NLA_DEV_PCI_CHID]) {
		d->has_chid = true;
		d->pci_chid = nla_get_uint(tb[SMC_NLA_DEV_PCI_CHID]);
	}
	if (tb[SMC_NLA_DEV_PCI_VENDOR]) {
		d->has_vendor = true;
		d->pci_vendor = nla_get_uint(tb[SMC_NLA_DEV_PCI_VENDOR]);
	}
	if (tb[SMC_NLA_DEV_PCI_DEVICE]) {
		d->has_device = true;
		d->pci_device = nla_get_uint(tb[SMC_NLA_DEV_PCI_DEVICE]);
	}
	if (tb[SMC_NLA_DEV_PCI_ID]) {
		d->has_pci_id = true;
		nla_get_str(tb[SMC_NLA_DEV_PCI_ID], d->pci_id,
			    sizeof(d->pci_id));
	}
	if (tb[SMC_NLA_DEV_PORT]) {
		d->has_port = true;
		nla_parse(pt, SMC_NLA_DEV_PORT_MAX,
			  nla_data(tb[SMC_NLA_DEV_PORT]),
			  nla_len(tb[SMC_NLA_DEV_PORT]));
		if (pt[SMC_NLA_DEV_PORT_PNET_USR]) {
			d->has_pnet_usr = true;
			d->pnet_usr =
				nla_get_uint(pt[SMC_NLA_DEV_PORT_PNET_USR]);
		}
		if (pt[SMC_NLA_DEV_PORT_PNETID]) {
			d->has_pnetid = true;
			nla_get_str(pt[SMC_NLA_DEV_PORT_PNETID], d->pnetid,
				    sizeof(d->pnetid));
		}
	}
	return 0;
}

int smc_nl_get_dev_smcd(struct smcd_dev_info *devs, int max)
{
	struct list_ctx ctx = { .items = devs, .max = max };
	int rc;

	rc = smc_nl_dump(SMC_NETLINK_GET_DEV_SMCD, dev_smcd_cb, &ctx);
	if (rc)
		return rc;
	return ctx.count < max ? ctx.count : max;
}

static int lgr_smcd_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[SMC_NLA_LGR_D_MAX + 1];
	const struct nlattr *v2[SMC_NLA_LGR_V2_MAX + 1];
	struct list_ctx *ctx = arg;
	struct smcd_lgr_info *l;
	const void *data;
	int len;

	if (!smc_nl_nest(nlh, SMC_GEN_LGR_SMCD, &data, &len))
		return 0;
	if (ctx->count >= ctx->max) {
		ctx->count++;
		return 0;
	}
	l = (struct smcd_lgr_info *)ctx->items + ctx->count++;
	memset(l, 0, sizeof(*l));
	nla_parse(tb, SMC_NLA_LGR_D_MAX, data, len);
	if (tb[SMC_NLA_LGR_D_ID])
		l->id = nla_get_uint(tb[SMC_NLA_LGR_D_ID]);
	if (tb[SMC_NLA_LGR_D_GID]) {
		l->has_gid = true;
		l->gid = nla_get_uint(tb[SMC_NLA_LGR_D_GID]);
	}
	if (tb[SMC_NLA_LGR_D_PEER_GID]) {
		l->has_peer_gid = true;
		l->peer_gid = nla_get_uint(tb[SMC_NLA_LGR_D_PEER_GID]);
	}
	if (tb[SMC_NLA_LGR_D_VLAN_ID])
		l->vlan_id = nla_get_uint(tb[SMC_NLA_LGR_D_VLAN_ID]);
	if (tb[SMC_NLA_LGR_D_CONNS_NUM]) {
		l->has_conns = true;
		l->conns_num = nla_get_uint(tb[SMC_NLA_LGR_D_CONNS_NUM]);
	}
	if (tb[SMC_NLA_LGR_D_CHID]) {
		l->has_chid = true;
		l->chid = nla_get_uint(tb[SMC_NLA_LGR_D_CHID]);
	}
	if (tb[SMC_NLA_LGR_D_PNETID])
		nla_get_str(tb[SMC_NLA_LGR_D_PNETID], l->pnetid,
			    sizeof(l->pnetid));
	if (tb[SMC_NLA_LGR_D_V2_COMMON]) {
		l->has_v2 = true;
		nla_parse(v2, SMC_NLA_LGR_V2_MAX,
			  nla_data(tb[SMC_NLA_LGR_D_V2_COMMON]),
			  nla_len(tb[SMC_NLA_LGR_D_V2_COMMON]));
		if (v2[SMC_NLA_LGR_V2_VER])
			l->v2_ver = nla_get_uint(v2[SMC_NLA_LGR_V2_VER]);
		if (v2[SMC_NLA_LGR_V2_NEG_EID])
			nla_get_str(v2[SMC_NLA_LGR_V2_NEG_EID], l->neg_eid,
				    sizeof(l->neg_eid));
		if (v2[SMC_NLA_LGR_V2_PEER_HOST])
			nla_get_str(v2[SMC_NLA_LGR_V2_PEER_HOST],
				    l->peer_host, sizeof(l->peer_host));
	}
	return 0;
}

int smc_nl_get_lgr_smcd(struct smcd_lgr_info *lgrs, int max)
{
	struct list_ctx ctx = { .items = lgrs, .max = max };
	int rc;

	rc = smc_nl_dump(SMC_NETLINK_GET_LGR_SMCD, lgr_smcd_cb, &ctx);
	if (rc)
		return rc;
	return ctx.count < max ? ctx.count : max;
}

/* the SMC_GEN_LGR_SMCR nest of a message into *l; false if there is none */
static bool lgr_smcr_parse(const struct nlmsghdr *nlh, struct smcr_lgr_info *l)
{
	const struct nlattr *tb[SMC_NLA_LGR_R_MAX + 1];
	const struct nlattr *v2[SMC_NLA_LGR_V2_MAX + 1];
	const struct nlattr *r2[SMC_NLA_LGR_R_V2_MAX + 1];
	const void *data;
	int len;

	if (!smc_nl_nest(nlh, SMC_GEN_LGR_SMCR, &data, &len))
		return false;
	memset(l, 0, sizeof(*l));
	nla_parse(tb, SMC_NLA_LGR_R_MAX, data, len);
	l->id = nla_get_uint_or0(tb[SMC_NLA_LGR_R_ID]);
	l->role = nla_get_uint_or0(tb[SMC_NLA_LGR_R_ROLE]);
	l->type = nla_get_uint_or0(tb[SMC_NLA_LGR_R_TYPE]);
	l->vlan_id = nla_get_uint_or0(tb[SMC_NLA_LGR_R_VLAN_ID]);
	l->conns_num = nla_get_uint_or0(tb[SMC_NLA_LGR_R_CONNS_NUM]);
	l->net_cookie = nla_get_uint_or0(tb[SMC_NLA_LGR_R_NET_COOKIE]);
	if (tb[SMC_NLA_LGR_R_BUF_TYPE]) {
		l->has_buf_type = true;
		l->buf_type = nla_get_uint(tb[SMC_NLA_LGR_R_BUF_TYPE]);
	}
	if (tb[SMC_NLA_LGR_R_PNETID])
		nla_get_str(tb[SMC_NLA_LGR_R_PNETID], l->pnetid,
			    sizeof(l->pnetid));
	if (tb[SMC_NLA_LGR_R_V2_COMMON]) {
		l->has_v2 = true;
		nla_parse(v2, SMC_NLA_LGR_V2_MAX,
			  nla_data(tb[SMC_NLA_LGR_R_V2_COMMON]),
			  nla_len(tb[SMC_NLA_LGR_R_V2_COMMON]));
		l->v2_ver = nla_get_uint_or0(v2[SMC_NLA_LGR_V2_VER]);
		l->v2_rel = nla_get_uint_or0(v2[SMC_NLA_LGR_V2_REL]);
		if (v2[SMC_NLA_LGR_V2_NEG_EID])
			nla_get_str(v2[SMC_NLA_LGR_V2_NEG_EID], l->neg_eid,
				    sizeof(l->neg_eid));
		if (v2[SMC_NLA_LGR_V2_PEER_HOST])
			nla_get_str(v2[SMC_NLA_LGR_V2_PEER_HOST],
				    l->peer_host, sizeof(l->peer_host));
	}
	if (tb[SMC_NLA_LGR_R_V2]) {
		nla_parse(r2, SMC_NLA_LGR_R_V2_MAX,
			  nla_data(tb[SMC_NLA_LGR_R_V2]),
			  nla_len(tb[SMC_NLA_LGR_R_V2]));
		if (r2[SMC_NLA_LGR_R_V2_DIRECT]) {
			l->has_direct = true;
			l->direct = nla_get_uint(r2[SMC_NLA_LGR_R_V2_DIRECT]);
		}
	}
	return true;
}

static int lgr_smcr_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct list_ctx *ctx = arg;
	struct smcr_lgr_info l;

	if (!lgr_smcr_parse(nlh, &l))
		return 0;
	if (ctx->count < ctx->max)
		((struct smcr_lgr_info *)ctx->items)[ctx->count] = l;
	ctx->count++;
	return 0;
}

int smc_nl_get_lgr_smcr(struct smcr_lgr_info *lgrs, int max)
{
	struct list_ctx ctx = { .items = lgrs, .max = max };
	int rc;

	rc = smc_nl_dump(SMC_NETLINK_GET_LGR_SMCR, lgr_smcr_cb, &ctx);
	if (rc)
		return rc;
	return ctx.count < max ? ctx.count : max;
}

struct link_ctx {
	struct list_ctx list;
	bool has_lgr;
	__u32 lgr_id;		/* of the last link group message */
};

/*
 * The GET_LINK_SMCR dump is, per link group, one SMC_GEN_LGR_SMCR message
 * and then one SMC_GEN_LINK_SMCR message per usable link; the link
 * messages do not carry the link group id.
 */
static int link_smcr_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[SMC_NLA_LINK_MAX + 1];
	struct link_ctx *ctx = arg;
	struct smcr_link_info *k;
	struct smcr_lgr_info l;
	const void *data;
	int len;

	if (lgr_smcr_parse(nlh, &l)) {
		ctx->has_lgr = true;
		ctx->lgr_id = l.id;
		return 0;
	}
	if (!smc_nl_nest(nlh, SMC_GEN_LINK_SMCR, &data, &len))
		return 0;
	if (ctx->list.count >= ctx->list.max) {
		ctx->list.count++;
		return 0;
	}
	k = (struct smcr_link_info *)ctx->list.items + ctx->list.count++;
	memset(k, 0, sizeof(*k));
	k->has_lgr = ctx->has_lgr;
	k->lgr_id = ctx->lgr_id;
	nla_parse(tb, SMC_NLA_LINK_MAX, data, len);
	k->link_id = nla_get_uint_or0(tb[SMC_NLA_LINK_ID]);
	k->ib_port = nla_get_uint_or0(tb[SMC_NLA_LINK_IB_PORT]);
	k->state = nla_get_uint_or0(tb[SMC_NLA_LINK_STATE]);
	k->conn_cnt = nla_get_uint_or0(tb[SMC_NLA_LINK_CONN_CNT]);
	k->net_dev = nla_get_uint_or0(tb[SMC_NLA_LINK_NET_DEV]);
	k->link_uid = nla_get_uint_or0(tb[SMC_NLA_LINK_UID]);
	k->peer_link_uid = nla_get_uint_or0(tb[SMC_NLA_LINK_PEER_UID]);
	if (tb[SMC_NLA_LINK_IB_DEV])
		nla_get_str(tb[SMC_NLA_LINK_IB_DEV], k->ib_dev,
			    sizeof(k->ib_dev));
	if (tb[SMC_NLA_LINK_GID])
		nla_get_str(tb[SMC_NLA_LINK_GID], k->gid, sizeof(k->gid));
	if (tb[SMC_NLA_LINK_PEER_GID])
		nla_get_str(tb[SMC_NLA_LINK_PEER_GID], k->peer_gid,
			    sizeof(k->peer_gid));
	return 0;
}

int smc_nl_get_links_smcr(struct smcr_link_info *links, int max)
{
	struct link_ctx ctx = { .list = { .items = links, .max = max } };
	int rc;

	rc = smc_nl_dump(SMC_NETLINK_GET_LINK_SMCR, link_smcr_cb, &ctx);
	if (rc)
		return rc;
	return ctx.list.count < max ? ctx.list.count : max;
}

/* enum smc_link_state, enum smc_lgr_type, enum smc_lgr_role (smc_core.h) */
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* names[v], or "UNKNOWN" past the table or for a gap in it */
static const char *name_of(const char *const *names, size_t n, __u32 v)
{
	return v < n && names[v] ? names[v] : "UNKNOWN";
}

const char *smcr_link_state_str(__u32 state)
{
	static const char *const names[] = {
		"UNUSED", "INACTIVE", "ACTIVATING", "ACTIVE",
	};

	return name_of(names, ARRAY_SIZE(names), state);
}

const char *smcr_lgr_type_str(__u8 type)
{
	static const char *const names[] = {
		"NONE", "SINGLE", "SYMMETRIC", "ASYMMETRIC_PEER",
		"ASYMMETRIC_LOCAL",
	};

	return name_of(names, ARRAY_SIZE(names), type);
}

const char *smc_lgr_role_str(__u8 role)
{
	static const char *const names[] = { "CLNT", "SERV" };

	return name_of(names, ARRAY_SIZE(names), role);
}

static int ueid_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[SMC_NLA_EID_TABLE_MAX + 1];
	struct list_ctx *ctx = arg;
	const void *attrs;
	int len;

	if (nlh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return 0;
	attrs = genl_attrs(nlh, &len);
	nla_parse(tb, SMC_NLA_EID_TABLE_MAX, attrs, len);
	if (!tb[SMC_NLA_EID_TABLE_ENTRY])
		return 0;
	if (ctx->count < ctx->max)
		nla_get_str(tb[SMC_NLA_EID_TABLE_ENTRY],
			    ((char (*)[64])ctx->items)[ctx->count], 64);
	ctx->count++;
	return 0;
}

int smc_nl_dump_ueid(char ueids[][64], int max)
{
	struct list_ctx ctx = { .items = ueids, .max = max };
	int rc;

	rc = smc_nl_dump(SMC_NETLINK_DUMP_UEID, ueid_cb, &ctx);
	if (rc)
		return rc;
	return ctx.count;
}

int smc_nl_add_ueid(const char *ueid)
{
	char entry[SMC_MAX_EID_LEN + 1];
	struct genl_req r;
	size_t len = strlen(ueid);
	int family, rc;

	if (!len || len > SMC_MAX_EID_LEN) {
		set_err("a user EID has 1 to %d characters", SMC_MAX_EID_LEN);
		return -EINVAL;
	}
	/* blank padded to the full length, as the kernel compares it */
	memset(entry, ' ', SMC_MAX_EID_LEN);
	memcpy(entry, ueid, len);
	entry[SMC_MAX_EID_LEN] = '\0';
	family = genl_resolve_family(SMC_GENL_FAMILY_NAME);
	if (family < 0)
		return family;
	genl_req_init(&r, family, SMC_NETLINK_ADD_UEID,
		      SMC_GENL_FAMILY_VERSION, NLM_F_ACK);
	rc = nla_put(&r.nlh, sizeof(r), SMC_NLA_EID_TABLE_ENTRY, entry,
		     sizeof(entry));
	if (rc)
		return rc;
	return nl_request(NETLINK_GENERIC, &r.nlh, NULL, NULL);
}

static int seid_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[SMC_NLA_SEID_TABLE_MAX + 1];
	struct smc_seid_info *s = arg;
	const void *attrs;
	int len;

	if (nlh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return 0;
	attrs = genl_attrs(nlh, &len);
	nla_parse(tb, SMC_NLA_SEID_TABLE_MAX, attrs, len);
	if (tb[SMC_NLA_SEID_ENTRY]) {
		s->has_seid = true;
		nla_get_str(tb[SMC_NLA_SEID_ENTRY], s->seid, sizeof(s->seid));
	}
	if (tb[SMC_NLA_SEID_ENABLED]) {
		s->has_enabled = true;
		s->enabled = nla_get_uint(tb[SMC_NLA_SEID_ENABLED]);
	}
	return 0;
}

int smc_nl_dump_seid(struct smc_seid_info *seid)
{
	memset(seid, 0, sizeof(*seid));
	return smc_nl_dump(SMC_NETLINK_DUMP_SEID, seid_cb, seid);
}

static int sys_info_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[SMC_NLA_SYS_MAX + 1];
	struct smc_sys_info *s = arg;
	const void *data;
	int len;

	if (!smc_nl_nest(nlh, SMC_GEN_SYS_INFO, &data, &len))
		return 0;
	nla_parse(tb, SMC_NLA_SYS_MAX, data, len);
	if (tb[SMC_NLA_SYS_VER]) {
		s->has_ver = true;
		s->ver = nla_get_uint(tb[SMC_NLA_SYS_VER]);
	}
	if (tb[SMC_NLA_SYS_REL]) {
		s->has_rel = true;
		s->rel = nla_get_uint(tb[SMC_NLA_SYS_REL]);
	}
	if (tb[SMC_NLA_SYS_IS_ISM_V2]) {
		s->has_ism_v2 = true;
		s->is_ism_v2 = nla_get_uint(tb[SMC_NLA_SYS_IS_ISM_V2]);
	}
	if (tb[SMC_NLA_SYS_LOCAL_HOST]) {
		s->has_host = true;
		nla_get_str(tb[SMC_NLA_SYS_LOCAL_HOST], s->host,
			    sizeof(s->host));
	}
	if (tb[SMC_NLA_SYS_SEID]) {
		s->has_seid = true;
		nla_get_str(tb[SMC_NLA_SYS_SEID], s->seid, sizeof(s->seid));
	}
	return 0;
}

int smc_nl_get_sys_info(struct smc_sys_info *sys)
{
	memset(sys, 0, sizeof(*sys));
	return smc_nl_dump(SMC_NETLINK_GET_SYS_INFO, sys_info_cb, sys);
}

static int stats_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[SMC_NLA_STATS_MAX + 1];
	const struct nlattr *t[SMC_NLA_STATS_T_MAX + 1];
	struct smcd_stats *s = arg;
	const void *data;
	int len;

	if (!smc_nl_nest(nlh, SMC_GEN_STATS, &data, &len))
		return 0;
	nla_parse(tb, SMC_NLA_STATS_MAX, data, len);
	s->clnt_hs_err = nla_get_uint_or0(tb[SMC_NLA_STATS_CLNT_HS_ERR_CNT]);
	s->srv_hs_err = nla_get_uint_or0(tb[SMC_NLA_STATS_SRV_HS_ERR_CNT]);
	if (!tb[SMC_NLA_STATS_SMCD_TECH])
		return 0;
	s->has_smcd = true;
	nla_parse(t, SMC_NLA_STATS_T_MAX, nla_data(tb[SMC_NLA_STATS_SMCD_TECH]),
		  nla_len(tb[SMC_NLA_STATS_SMCD_TECH]));
	s->clnt_v1_succ = nla_get_uint_or0(t[SMC_NLA_STATS_T_CLNT_V1_SUCC]);
	s->clnt_v2_succ = nla_get_uint_or0(t[SMC_NLA_STATS_T_CLNT_V2_SUCC]);
	s->srv_v1_succ = nla_get_uint_or0(t[SMC_NLA_STATS_T_SRV_V1_SUCC]);
	s->srv_v2_succ = nla_get_uint_or0(t[SMC_NLA_STATS_T_SRV_V2_SUCC]);
	s->rx_bytes = nla_get_uint_or0(t[SMC_NLA_STATS_T_RX_BYTES]);
	s->tx_bytes = nla_get_uint_or0(t[SMC_NLA_STATS_T_TX_BYTES]);
	s->rx_cnt = nla_get_uint_or0(t[SMC_NLA_STATS_T_RX_CNT]);
	s->tx_cnt = nla_get_uint_or0(t[SMC_NLA_STATS_T_TX_CNT]);
	return 0;
}

/* the totals come with the first reason the dump reports */
static int fback_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[SMC_NLA_FBACK_STATS_MAX + 1];
	struct smcd_stats *s = arg;
	const void *data;
	int len;

	if (!smc_nl_nest(nlh, SMC_GEN_FBACK_STATS, &data, &len))
		return 0;
	nla_parse(tb, SMC_NLA_FBACK_STATS_MAX, data, len);
	if (tb[SMC_NLA_FBACK_STATS_SRV_CNT])
		s->srv_fback = nla_get_uint(tb[SMC_NLA_FBACK_STATS_SRV_CNT]);
	if (tb[SMC_NLA_FBACK_STATS_CLNT_CNT])
		s->clnt_fback = nla_get_uint(tb[SMC_NLA_FBACK_STATS_CLNT_CNT]);
	return 0;
}

int smc_nl_get_stats(struct smcd_stats *stats)
{
	int rc;

	memset(stats, 0, sizeof(*stats));
	rc = smc_nl_dump(SMC_NETLINK_GET_STATS, stats_cb, stats);
	if (rc)
		return rc;
	/* empty until the first fallback of the namespace */
	return smc_nl_dump(SMC_NETLINK_GET_FBACK_STATS, fback_cb, stats);
}

int smc_lo_find(struct smcd_dev_info *dev)
{
	struct smcd_dev_info devs[SMC_MAX_DEVS];
	int i, n, found = 0;

	n = smc_nl_get_dev_smcd(devs, SMC_MAX_DEVS);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		if (strcmp(devs[i].pci_id, SMC_LO_DEV_NAME))
			continue;
		if (!found && dev)
			*dev = devs[i];
		found++;
	}
	return found;
}

bool smc_lo_module_present(void)
{
	return access("/sys/module/" SMC_LO_MODULE, F_OK) == 0;
}

void smc_lo_wait_idle(void)
{
	struct smcd_lgr_info lgrs[16];
	int i, n, t, conns;

	for (t = 0; t < 1000; t++) {
		n = smc_nl_get_lgr_smcd(lgrs, 16);
		for (i = 0, conns = 0; i < n; i++)
			if (lgrs[i].chid == SMC_LO_CHID)
				conns += lgrs[i].conns_num;
		if (n >= 0 && !conns)
			break;
		usleep(5000);
	}
	usleep(20000);
}

/* ---- SMC_PNETID family ------------------------------------------------------ */

/*
 * One SMC_PNETID request. Names that are NULL (and ib_port <= 0) are left
 * out. Returns the kernel's ack (0 or -errno), or -errno of its own.
 */
static int pnetid_request(int cmd, const char *pnet_name,
			  const char *eth_name, const char *ib_name,
			  int ib_port)
{
	struct genl_req r;
	__u8 port = ib_port;
	int family, rc;

	family = genl_resolve_family(SMCR_GENL_FAMILY_NAME);
	if (family < 0)
		return family;
	genl_req_init(&r, family, cmd, SMCR_GENL_FAMILY_VERSION, NLM_F_ACK);
	rc = nla_put_str(&r.nlh, sizeof(r), SMC_PNETID_NAME, pnet_name);
	if (!rc && eth_name)
		rc = nla_put_str(&r.nlh, sizeof(r), SMC_PNETID_ETHNAME,
				 eth_name);
	if (!rc && ib_name)
		rc = nla_put_str(&r.nlh, sizeof(r), SMC_PNETID_IBNAME,
				 ib_name);
	if (!rc && ib_name && ib_port > 0)
		rc = nla_put(&r.nlh, sizeof(r), SMC_PNETID_IBPORT, &port, 1);
	if (rc) {
		set_err("SMC_PNETID request: names too long");
		return rc;
	}
	return nl_request(NETLINK_GENERIC, &r.nlh, NULL, NULL);
}

int smc_pnetid_add(const char *pnet_name, const char *ib_name, int ib_port)
{
	return pnetid_request(SMC_PNETID_ADD, pnet_name, NULL, ib_name,
			      ib_port);
}

int smc_pnetid_add_eth(const char *pnet_name, const char *eth_name)
{
	return pnetid_request(SMC_PNETID_ADD, pnet_name, eth_name, NULL, 0);
}

int smc_pnetid_del(const char *pnet_name)
{
	return pnetid_request(SMC_PNETID_DEL, pnet_name, NULL, NULL, 0);
}

struct pnet_ctx {
	const char *name;	/* count only entries of this pnet name */
	struct smc_pnet_entry *items;
	int max;
	int count;
};

static int pnet_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[SMC_PNETID_MAX + 1];
	struct pnet_ctx *ctx = arg;
	struct smc_pnet_entry e;
	const void *attrs;
	int len;

	if (nlh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return 0;
	attrs = genl_attrs(nlh, &len);
	nla_parse(tb, SMC_PNETID_MAX, attrs, len);
	if (!tb[SMC_PNETID_NAME])
		return 0;
	memset(&e, 0, sizeof(e));
	nla_get_str(tb[SMC_PNETID_NAME], e.name, sizeof(e.name));
	if (ctx->name && strcasecmp(e.name, ctx->name))
		return 0;
	/* the kernel sends "n/a" (and port 0xff) for the other kind */
	if (tb[SMC_PNETID_ETHNAME])
		nla_get_str(tb[SMC_PNETID_ETHNAME], e.eth_name,
			    sizeof(e.eth_name));
	if (!strcmp(e.eth_name, "n/a"))
		e.eth_name[0] = 0;
	if (tb[SMC_PNETID_IBNAME])
		nla_get_str(tb[SMC_PNETID_IBNAME], e.ib_name,
			    sizeof(e.ib_name));
	if (!strcmp(e.ib_name, "n/a"))
		e.ib_name[0] = 0;
	else
		e.ib_port = nla_get_uint_or0(tb[SMC_PNETID_IBPORT]);
	if (ctx->items && ctx->count < ctx->max)
		ctx->items[ctx->count] = e;
	ctx->count++;
	return 0;
}

static int pnetid_dump(struct pnet_ctx *ctx)
{
	struct genl_req r;
	int family, rc;

	family = genl_resolve_family(SMCR_GENL_FAMILY_NAME);
	if (family < 0)
		return family;
	genl_req_init(&r, family, SMC_PNETID_GET, SMCR_GENL_FAMILY_VERSION,
		      NLM_F_DUMP);
	rc = nl_request(NETLINK_GENERIC, &r.nlh, pnet_cb, ctx);
	return rc ? rc : ctx->count;
}

int smc_pnetid_count(const char *pnet_name)
{
	struct pnet_ctx ctx = { .name = pnet_name };

	return pnetid_dump(&ctx);
}

int smc_pnetid_list(struct smc_pnet_entry *entries, int max)
{
	struct pnet_ctx ctx = { .items = entries, .max = max };
	int rc;

	rc = pnetid_dump(&ctx);
	return rc < max ? rc : max;
}

/* ---- verifiable data streams ------------------------------------------- */

static inline __u64 mix64(__u64 z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline __u64 pattern_word(__u64 key, __u64 idx)
{
	return htole64(mix64(key ^ (idx * 0xd1342543de82ef95ULL)));
}

/*
 * Byte o of a stream is byte (o % 8) of the little-endian 64-bit word
 * number o / 8, so any range can be generated on its own.
 */
void smc_pattern_fill(__u64 seed, __u64 off, void *buf, size_t len)
{
	__u64 key = mix64(seed), idx = off >> 3, w;
	unsigned int skip = off & 7;
	__u8 *p = buf;

	if (skip && len) {
		size_t n = 8 - skip;

		if (n > len)
			n = len;
		w = pattern_word(key, idx++);
		memcpy(p, (__u8 *)&w + skip, n);
		p += n;
		len -= n;
	}
	while (len >= 8) {
		w = pattern_word(key, idx++);
		memcpy(p, &w, 8);
		p += 8;
		len -= 8;
	}
	if (len) {
		w = pattern_word(key, idx);
		memcpy(p, &w, len);
	}
}

__u64 smc_rand(__u64 *state)
{
	__u64 x = *state ? *state : 0x853c49e6748fea9bULL;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

size_t smc_rand_size(__u64 *state, size_t max)
{
	unsigned int bits = 0, e;
	__u64 lo, size;

	if (max <= 1)
		return 1;
	while ((2ULL << bits) <= max)
		bits++;
	e = smc_rand(state) % (bits + 1);
	lo = 1ULL << e;
	size = lo + smc_rand(state) % lo;
	return size > max ? max : size;
}

__u64 smc_seed_from_env(__u64 dflt)
{
	const char *s = getenv("SMC_TEST_SEED");

	if (s && *s)
		return strtoull(s, NULL, 0);
	return dflt;
}

/* "16", "64k", "4M", "1G": bytes, with an optional binary suffix */
__u64 smc_parse_size(const char *s)
{
	char *end;
	__u64 v = strtoull(s, &end, 0);

	switch (*end) {
	case 'k': case 'K':
		return v << 10;
	case 'm': case 'M':
		return v << 20;
	case 'g': case 'G':
		return v << 30;
	}
	return v;
}

double smc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#define SMC_MAX_CHUNK	(4 << 20)

void smc_stream_init(struct smc_stream *st, int fd, __u64 seed,
		     __u64 bytes)
{
	memset(st, 0, sizeof(*st));
	st->fd = fd;
	st->seed = seed;
	st->size_seed = mix64(seed ^ 0x534d43ULL) | 1;
	st->bytes = bytes;
	st->max_chunk = SMC_MAX_CHUNK;
	st->shut_wr = true;
	st->expect_eof = true;
}

/* the self-test of the checkers: spoil one byte on purpose */
static void stream_corrupt(const struct smc_stream *st, char *buf, size_t n)
{
	if (st->corrupt_at > st->done && st->corrupt_at - 1 - st->done < n)
		buf[st->corrupt_at - 1 - st->done] ^= 0x5a;
}

/* received bytes [done, done + r) against the pattern; false on mismatch */
static bool stream_verify(struct smc_stream *st, const char *buf,
			  char *exp, size_t r)
{
	size_t i = 0;

	smc_pattern_fill(st->seed, st->done, exp, r);
	if (!memcmp(buf, exp, r))
		return true;
	while (i < r && buf[i] == exp[i])
		i++;
	st->corrupt = true;
	st->bad_off = st->done + i;
	st->bad_got = buf[i];
	st->bad_exp = exp[i];
	snprintf(st->msg, sizeof(st->msg),
		 "data mismatch at stream offset %llu (read of %zu at %llu): got 0x%02x expected 0x%02x",
		 (unsigned long long)st->bad_off, r,
		 (unsigned long long)st->done, st->bad_got, st->bad_exp);
	return false;
}

void *smc_stream_send(void *arg)
{
	struct smc_stream *st = arg;
	__u64 rng = st->size_seed;
	size_t max = st->max_chunk ? st->max_chunk : SMC_MAX_CHUNK;
	char *buf;

	buf = malloc(max);
	if (!buf) {
		st->err = ENOMEM;
		snprintf(st->msg, sizeof(st->msg), "send: out of memory");
		return NULL;
	}
	for (;;) {
		size_t n, off = 0;

		if (st->deadline ? smc_now() >= st->deadline :
				   st->done >= st->bytes)
			break;
		n = smc_rand_size(&rng, max);
		if (!st->deadline && n > st->bytes - st->done)
			n = st->bytes - st->done;
		smc_pattern_fill(st->seed, st->done, buf, n);
		stream_corrupt(st, buf, n);
		while (off < n) {
			ssize_t w = send(st->fd, buf + off, n - off,
					 MSG_NOSIGNAL);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				st->err = w < 0 ? errno : EIO;
				snprintf(st->msg, sizeof(st->msg),
					 "send failed after %llu bytes: %s",
					 (unsigned long long)st->done,
					 strerror(st->err));
				goto out;
			}
			off += w;
			st->done += w;
			st->calls++;
		}
	}
	if (st->shut_wr && shutdown(st->fd, SHUT_WR)) {
		st->err = errno;
		snprintf(st->msg, sizeof(st->msg), "shutdown(SHUT_WR): %s",
			 strerror(errno));
	}
out:
	free(buf);
	return NULL;
}

void *smc_stream_recv(void *arg)
{
	struct smc_stream *st = arg;
	__u64 rng = st->size_seed ^ 0xa5a5a5a5ULL;
	size_t max = st->max_chunk ? st->max_chunk : SMC_MAX_CHUNK;
	char *buf, *exp;

	buf = malloc(max);
	exp = malloc(max);
	if (!buf || !exp) {
		st->err = ENOMEM;
		snprintf(st->msg, sizeof(st->msg), "recv: out of memory");
		goto out;
	}
	for (;;) {
		size_t want = smc_rand_size(&rng, max);
		bool at_end = !st->until_eof && st->done >= st->bytes;
		int flags = 0;
		ssize_t r;

		if (at_end && !st->expect_eof)
			break;
		if (!st->until_eof && !at_end && want > st->bytes - st->done)
			want = st->bytes - st->done;
		/* exercise MSG_WAITALL now and then */
		if (!at_end && smc_rand(&rng) % 8 == 0)
			flags = MSG_WAITALL;
		r = recv(st->fd, buf, want, flags);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			st->err = errno;
			snprintf(st->msg, sizeof(st->msg),
				 "recv failed after %llu bytes: %s",
				 (unsigned long long)st->done,
				 strerror(errno));
			break;
		}
		if (r == 0) {
			st->eof = true;
			if (!st->until_eof && st->done < st->bytes) {
				st->short_data = true;
				snprintf(st->msg, sizeof(st->msg),
					 "EOF after %llu of %llu bytes",
					 (unsigned long long)st->done,
					 (unsigned long long)st->bytes);
			}
			break;
		}
		if (at_end) {
			st->excess = true;
			snprintf(st->msg, sizeof(st->msg),
				 "%zd bytes more than the %llu expected", r,
				 (unsigned long long)st->bytes);
			break;
		}
		if (!stream_verify(st, buf, exp, r))
			break;
		st->done += r;
		st->calls++;
	}
out:
	free(buf);
	free(exp);
	return NULL;
}

bool smc_stream_ok(const struct smc_stream *st)
{
	return !st->err && !st->corrupt && !st->short_data && !st->excess;
}

static size_t stream_max(const struct smc_stream *st)
{
	return st->max_chunk ? st->max_chunk : SMC_MAX_CHUNK;
}

int smc_stream_send_step(struct smc_stream *st, char *buf)
{
	size_t n = smc_rand_size(&st->size_seed, stream_max(st));
	ssize_t w;

	if (st->done >= st->bytes)
		return 0;
	if (n > st->bytes - st->done)
		n = st->bytes - st->done;
	smc_pattern_fill(st->seed, st->done, buf, n);
	stream_corrupt(st, buf, n);
	w = send(st->fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (w <= 0) {
		st->err = w < 0 ? errno : EIO;
		snprintf(st->msg, sizeof(st->msg),
			 "send failed after %llu bytes: %s",
			 (unsigned long long)st->done, strerror(st->err));
		return -1;
	}
	st->done += w;
	st->calls++;
	if (st->done == st->bytes && st->shut_wr &&
	    shutdown(st->fd, SHUT_WR)) {
		st->err = errno;
		snprintf(st->msg, sizeof(st->msg), "shutdown(SHUT_WR): %s",
			 strerror(errno));
		return -1;
	}
	return 1;
}

int smc_stream_recv_step(struct smc_stream *st, char *buf, char *exp)
{
	size_t want = smc_rand_size(&st->size_seed, stream_max(st));
	ssize_t r;

	if (st->eof)
		return 0;
	r = recv(st->fd, buf, want, MSG_DONTWAIT);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (r < 0) {
		st->err = errno;
		snprintf(st->msg, sizeof(st->msg),
			 "recv failed after %llu bytes: %s",
			 (unsigned long long)st->done, strerror(errno));
		return -1;
	}
	if (r == 0) {
		st->eof = true;
		if (!st->until_eof && st->done < st->bytes) {
			st->short_data = true;
			snprintf(st->msg, sizeof(st->msg),
				 "EOF after %llu of %llu bytes",
				 (unsigned long long)st->done,
				 (unsigned long long)st->bytes);
			return -1;
		}
		return 1;
	}
	if (!st->until_eof && st->done + r > st->bytes) {
		st->excess = true;
		snprintf(st->msg, sizeof(st->msg),
			 "%llu bytes more than the %llu expected",
			 (unsigned long long)(st->done + r - st->bytes),
			 (unsigned long long)st->bytes);
		return -1;
	}
	if (!stream_verify(st, buf, exp, r))
		return -1;
	st->done += r;
	st->calls++;
	return 1;
}

int smc_exchange(int a, int b, __u64 bytes_ab, __u64 bytes_ba,
		 __u64 seed, size_t max_chunk, struct smc_stream st[4])
{
	void *(*fn[4])(void *) = {
		smc_stream_send, smc_stream_recv,
		smc_stream_send, smc_stream_recv,
	};
	pthread_t tid[4];
	bool started[4] = { false };
	int i, rc = 0;

	smc_stream_init(&st[0], a, seed, bytes_ab);
	smc_stream_init(&st[1], b, seed, bytes_ab);
	smc_stream_init(&st[2], b, ~seed, bytes_ba);
	smc_stream_init(&st[3], a, ~seed, bytes_ba);
	for (i = 0; i < 4; i++) {
		if (max_chunk)
			st[i].max_chunk = max_chunk;
		if (pthread_create(&tid[i], NULL, fn[i], &st[i])) {
			st[i].err = EAGAIN;
			snprintf(st[i].msg, sizeof(st[i].msg),
				 "pthread_create failed");
			/* unblock the threads already running */
			shutdown(a, SHUT_RDWR);
			shutdown(b, SHUT_RDWR);
			break;
		}
		started[i] = true;
	}
	for (i = 0; i < 4; i++) {
		if (started[i])
			pthread_join(tid[i], NULL);
		if (!smc_stream_ok(&st[i]))
			rc = -1;
	}
	return rc;
}

const char *smc_exchange_error(struct smc_stream st[4])
{
	static const char * const names[4] = {
		"a->b send", "a->b recv", "b->a send", "b->a recv",
	};
	static char msg[300];
	int i;

	/* data errors first: they are what the test is about */
	for (i = 0; i < 4; i++) {
		if (st[i].corrupt || st[i].short_data || st[i].excess) {
			snprintf(msg, sizeof(msg), "%s: %s", names[i],
				 st[i].msg);
			return msg;
		}
	}
	for (i = 0; i < 4; i++) {
		if (!smc_stream_ok(&st[i])) {
			snprintf(msg, sizeof(msg), "%s: %s", names[i],
				 st[i].msg);
			return msg;
		}
	}
	return "no error";
}

/* one direction of the poll() driven exchange */
struct poll_dir {
	int tx_fd, rx_fd;
	__u64 seed;
	__u64 sent, rcvd;
	bool shut, eof;
	__u64 rng;
};

static int poll_send(struct poll_dir *d, __u64 bytes, char *buf,
		     size_t max, char *msg, size_t len)
{
	size_t n = smc_rand_size(&d->rng, max);
	ssize_t w;

	if (n > bytes - d->sent)
		n = bytes - d->sent;
	smc_pattern_fill(d->seed, d->sent, buf, n);
	w = send(d->tx_fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (w <= 0) {
		snprintf(msg, len, "send after %llu bytes: %s",
			 (unsigned long long)d->sent,
			 w < 0 ? strerror(errno) : "returned 0");
		return -1;
	}
	d->sent += w;
	if (d->sent == bytes) {
		if (shutdown(d->tx_fd, SHUT_WR)) {
			snprintf(msg, len, "shutdown: %s", strerror(errno));
			return -1;
		}
		d->shut = true;
	}
	return 1;
}

static int poll_recv(struct poll_dir *d, __u64 bytes, char *buf,
		     char *exp, size_t max, char *msg, size_t len)
{
	size_t n = smc_rand_size(&d->rng, max);
	ssize_t r;

	r = recv(d->rx_fd, buf, n, MSG_DONTWAIT);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (r < 0) {
		snprintf(msg, len, "recv after %llu bytes: %s",
			 (unsigned long long)d->rcvd, strerror(errno));
		return -1;
	}
	if (r == 0) {
		if (d->rcvd != bytes) {
			snprintf(msg, len, "EOF after %llu of %llu bytes",
				 (unsigned long long)d->rcvd,
				 (unsigned long long)bytes);
			return -1;
		}
		d->eof = true;
		return 1;
	}
	if (d->rcvd + r > bytes) {
		snprintf(msg, len, "%llu bytes more than expected",
			 (unsigned long long)(d->rcvd + r - bytes));
		return -1;
	}
	smc_pattern_fill(d->seed, d->rcvd, exp, r);
	if (memcmp(buf, exp, r)) {
		ssize_t i = 0;

		while (i < r && buf[i] == exp[i])
			i++;
		snprintf(msg, len,
			 "data mismatch at stream offset %llu: got 0x%02x expected 0x%02x",
			 (unsigned long long)(d->rcvd + i),
			 (__u8)buf[i], (__u8)exp[i]);
		return -1;
	}
	d->rcvd += r;
	return 1;
}

int smc_exchange_poll(int a, int b, __u64 bytes_each, __u64 seed,
		      size_t max_chunk, int timeout_ms, char *msg, size_t len)
{
	struct poll_dir d[2] = {
		{ .tx_fd = a, .rx_fd = b, .seed = seed, .rng = seed | 1 },
		{ .tx_fd = b, .rx_fd = a, .seed = ~seed, .rng = ~seed | 1 },
	};
	char *buf = malloc(max_chunk), *exp = malloc(max_chunk);
	int i, rc = -1;

	snprintf(msg, len, "no error");
	if (!buf || !exp) {
		snprintf(msg, len, "out of memory");
		goto out;
	}
	for (i = 0; i < 2; i++) {
		int fl = fcntl(d[i].tx_fd, F_GETFL);

		if (fl < 0 || fcntl(d[i].tx_fd, F_SETFL, fl | O_NONBLOCK)) {
			snprintf(msg, len, "fcntl(O_NONBLOCK): %s",
				 strerror(errno));
			goto out;
		}
	}
	while (!d[0].eof || !d[1].eof) {
		struct pollfd pfd[2] = { { .fd = a }, { .fd = b } };
		int n, k;

		/* pfd[0] is a: sends d[0], receives d[1]; pfd[1] the reverse */
		for (k = 0; k < 2; k++) {
			struct poll_dir *tx = &d[k], *rx = &d[1 - k];

			if (!tx->shut)
				pfd[k].events |= POLLOUT;
			if (!rx->eof)
				pfd[k].events |= POLLIN;
		}
		do {
			n = poll(pfd, 2, timeout_ms);
		} while (n < 0 && errno == EINTR);
		if (n < 0) {
			snprintf(msg, len, "poll: %s", strerror(errno));
			goto out;
		}
		if (n == 0) {
			snprintf(msg, len,
				 "stalled: no poll event for %d ms (sent %llu/%llu, received %llu/%llu)",
				 timeout_ms, (unsigned long long)d[0].sent,
				 (unsigned long long)d[1].sent,
				 (unsigned long long)d[0].rcvd,
				 (unsigned long long)d[1].rcvd);
			goto out;
		}
		for (k = 0; k < 2; k++) {
			struct poll_dir *tx = &d[k], *rx = &d[1 - k];
			short ev = pfd[k].revents;

			if (ev & POLLERR) {
				int err = 0;
				socklen_t elen = sizeof(err);

				getsockopt(pfd[k].fd, SOL_SOCKET, SO_ERROR,
					   &err, &elen);
				snprintf(msg, len, "POLLERR on %s: %s",
					 k ? "b" : "a", strerror(err));
				goto out;
			}
			if ((ev & POLLOUT) && !tx->shut &&
			    poll_send(tx, bytes_each, buf, max_chunk, msg,
				      len) < 0)
				goto out;
			if ((ev & (POLLIN | POLLHUP)) && !rx->eof &&
			    poll_recv(rx, bytes_each, buf, exp, max_chunk, msg,
				      len) < 0)
				goto out;
		}
	}
	rc = 0;
out:
	free(buf);
	free(exp);
	return rc;
}
