// SPDX-License-Identifier: GPL-2.0
/*
 * smc_info: what smc-tools' "smcd info", "smcd device", "smcd linkgroup"
 * and "smcd stats" show, read the same way (SMC_GEN_NETLINK), for guests
 * and hosts without smc-tools; also the SMC-R links ("smcr linkgroup
 * show links") and the pnet table ("smc_pnet").
 *
 *   smc_info [all|info|device|linkgroup|stats]
 *   smc_info links                  one line per SMC-R link, then
 *                                   "smcr_links N"
 *   smc_info sockets                one line per AF_SMC socket (sock_diag,
 *                                   as smc-tools' smcss), then "sockets N"
 *   smc_info pnet [show]            the pnet table
 *   smc_info pnet add NAME eth DEV  a net device
 *   smc_info pnet add NAME ib DEV [PORT]
 *                                   an RDMA device port (default 1)
 *   smc_info pnet del NAME          every entry of NAME
 *   smc_info ueid add EID           a user EID (SMC-Rv2 needs one)
 *
 * Exit status: 0 ok, 1 a request failed (its error on stderr), 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smc_lib.h"

static int show_info(void)
{
	struct smc_seid_info seid = {};
	struct smc_sys_info sys = {};
	int rc;

	rc = smc_nl_get_sys_info(&sys);
	if (rc) {
		fprintf(stderr, "SMC_NETLINK_GET_SYS_INFO: %s\n", smc_lib_err);
		return rc;
	}
	printf("SMC version       %u.%u\n", sys.ver, sys.rel);
	printf("SMC-Dv2 capable   %s\n", sys.is_ism_v2 ? "yes" : "no");
	printf("System EID        %s\n", sys.has_seid ? sys.seid : "-");
	if (!smc_nl_dump_seid(&seid) && seid.has_enabled)
		printf("SEID enabled      %s\n", seid.enabled ? "yes" : "no");
	return 0;
}

static int show_devices(void)
{
	struct smcd_dev_info devs[SMC_MAX_DEVS];
	int n, i;

	n = smc_nl_get_dev_smcd(devs, SMC_MAX_DEVS);
	if (n < 0) {
		fprintf(stderr, "SMC_NETLINK_GET_DEV_SMCD: %s\n", smc_lib_err);
		return n;
	}
	printf("\nSMC-D devices: %d\n", n);
	printf("%-16s %-6s %-8s %-6s %-5s %s\n",
	       "Name/PCI-ID", "CHID", "FID", "InUse", "#LGs", "PNET-ID");
	for (i = 0; i < n; i++)
		printf("%-16s %04x   %-8x %-6s %-5u %s%s\n", devs[i].pci_id,
		       devs[i].pci_chid, devs[i].pci_fid,
		       devs[i].is_crit ? "yes" : "no", devs[i].use_cnt,
		       devs[i].pnetid[0] ? devs[i].pnetid : "-",
		       devs[i].pnet_usr ? " *" : "");
	return 0;
}

static int show_linkgroups(void)
{
	struct smcd_lgr_info lgrs[64];
	int n, i;

	n = smc_nl_get_lgr_smcd(lgrs, 64);
	if (n < 0) {
		fprintf(stderr, "SMC_NETLINK_GET_LGR_SMCD: %s\n", smc_lib_err);
		return n;
	}
	printf("\nSMC-D link groups: %d\n", n);
	for (i = 0; i < n; i++)
		printf("  lgr %08x chid %04x gid %016llx peer %016llx conns %u v2 %u eid %s\n",
		       lgrs[i].id, lgrs[i].chid,
		       (unsigned long long)lgrs[i].gid,
		       (unsigned long long)lgrs[i].peer_gid,
		       lgrs[i].conns_num, lgrs[i].v2_ver,
		       lgrs[i].neg_eid[0] ? lgrs[i].neg_eid : "-");
	return 0;
}

static int show_linkgroups_smcr(void)
{
	struct smcr_lgr_info lgrs[64];
	int n, i;

	n = smc_nl_get_lgr_smcr(lgrs, 64);
	if (n < 0) {
		fprintf(stderr, "SMC_NETLINK_GET_LGR_SMCR: %s\n", smc_lib_err);
		return n;
	}
	printf("\nSMC-R link groups: %d\n", n);
	for (i = 0; i < n; i++)
		printf("  lgr %08x role %s type %s conns %u vlan %u pnetid %s v2 %u eid %s\n",
		       lgrs[i].id, smc_lgr_role_str(lgrs[i].role),
		       smcr_lgr_type_str(lgrs[i].type), lgrs[i].conns_num,
		       lgrs[i].vlan_id,
		       lgrs[i].pnetid[0] ? lgrs[i].pnetid : "-",
		       lgrs[i].v2_ver,
		       lgrs[i].neg_eid[0] ? lgrs[i].neg_eid : "-");
	return 0;
}

/* one line per link, for the scripts: "lgr ID link ID ibdev DEV ..." */
static int show_links(void)
{
	struct smcr_link_info links[SMC_MAX_LINKS];
	char lgr[16];
	int n, i;

	n = smc_nl_get_links_smcr(links, SMC_MAX_LINKS);
	if (n < 0) {
		fprintf(stderr, "SMC_NETLINK_GET_LINK_SMCR: %s\n",
			smc_lib_err);
		return n;
	}
	for (i = 0; i < n; i++) {
		struct smcr_link_info *k = &links[i];

		if (k->has_lgr)
			snprintf(lgr, sizeof(lgr), "%08x", k->lgr_id);
		else
			snprintf(lgr, sizeof(lgr), "-");
		printf("lgr %s link %u ibdev %s port %u state %s conns %u",
		       lgr, k->link_id, k->ib_dev[0] ? k->ib_dev : "-",
		       k->ib_port, smcr_link_state_str(k->state), k->conn_cnt);
		printf(" ifindex %u gid %s peer_gid %s\n", k->net_dev,
		       k->gid[0] ? k->gid : "-",
		       k->peer_gid[0] ? k->peer_gid : "-");
	}
	printf("smcr_links %d\n", n);
	return 0;
}

static int show_stats(void)
{
	struct smcd_stats st = {};
	int rc;

	rc = smc_nl_get_stats(&st);
	if (rc) {
		fprintf(stderr, "SMC_NETLINK_GET_STATS: %s\n", smc_lib_err);
		return rc;
	}
	printf("\nSMC-D statistics\n");
	printf("  connections: client v1 %llu v2 %llu, server v1 %llu v2 %llu\n",
	       (unsigned long long)st.clnt_v1_succ,
	       (unsigned long long)st.clnt_v2_succ,
	       (unsigned long long)st.srv_v1_succ,
	       (unsigned long long)st.srv_v2_succ);
	printf("  data: tx %llu bytes in %llu calls, rx %llu bytes in %llu calls\n",
	       (unsigned long long)st.tx_bytes, (unsigned long long)st.tx_cnt,
	       (unsigned long long)st.rx_bytes, (unsigned long long)st.rx_cnt);
	printf("SMC handshake errors: client %llu, server %llu\n",
	       (unsigned long long)st.clnt_hs_err,
	       (unsigned long long)st.srv_hs_err);
	printf("SMC fallbacks: client %llu, server %llu\n",
	       (unsigned long long)st.clnt_fback,
	       (unsigned long long)st.srv_fback);
	return 0;
}

static int show_pnet(void)
{
	struct smc_pnet_entry pe[64];
	int n, i;

	n = smc_pnetid_list(pe, 64);
	if (n < 0) {
		fprintf(stderr, "SMC_PNETID_GET: %s\n", smc_lib_err);
		return n;
	}
	for (i = 0; i < n; i++) {
		if (pe[i].eth_name[0])
			printf("pnet %s eth %s\n", pe[i].name, pe[i].eth_name);
		if (pe[i].ib_name[0])
			printf("pnet %s ib %s %u\n", pe[i].name, pe[i].ib_name,
			       pe[i].ib_port);
	}
	printf("pnet_entries %d\n", n);
	return 0;
}

static int show_socket(const struct smc_diag_info *di, void *arg)
{
	char line[256];

	smc_diag_format(di, line, sizeof(line));
	printf("socket inode %llu state %u sport %u dport %u %s\n",
	       (unsigned long long)di->inode, di->state, di->sport, di->dport,
	       line);
	return 0;
}

static int show_sockets(void)
{
	int n = smc_diag_dump_all(show_socket, NULL);

	if (n < 0) {
		fprintf(stderr, "smc_diag dump: %s\n", strerror(-n));
		return n;
	}
	printf("sockets %d\n", n);
	return 0;
}

static void die_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [all|info|device|linkgroup|stats|links|sockets]\n"
		"       %s pnet [show]\n"
		"       %s pnet add NAME eth DEV\n"
		"       %s pnet add NAME ib DEV [PORT]\n"
		"       %s pnet del NAME\n"
		"       %s ueid add EID\n",
		prog, prog, prog, prog, prog, prog);
	exit(2);
}

/* argv: "add" NAME eth DEV | "add" NAME ib DEV [PORT] | "del" NAME | show */
static int pnet_cmd(const char *prog, int argc, char **argv)
{
	const char *cmd = argc > 0 ? argv[0] : "show";
	int port = 0, rc;
	char *end;

	if (!strcmp(cmd, "show") && argc <= 1)
		return show_pnet();
	if (!strcmp(cmd, "del") && argc == 2) {
		rc = smc_pnetid_del(argv[1]);
	} else if (!strcmp(cmd, "add") && argc == 4 &&
		   !strcmp(argv[2], "eth")) {
		rc = smc_pnetid_add_eth(argv[1], argv[3]);
	} else if (!strcmp(cmd, "add") && (argc == 4 || argc == 5) &&
		   !strcmp(argv[2], "ib")) {
		if (argc == 5) {
			port = strtol(argv[4], &end, 0);
			if (!*argv[4] || *end || port < 1 || port > 255)
				die_usage(prog);
		}
		rc = smc_pnetid_add(argv[1], argv[3], port);
	} else {
		die_usage(prog);
	}
	if (rc) {
		int i;

		fprintf(stderr, "smc_info: pnet");
		for (i = 0; i < argc; i++)
			fprintf(stderr, " %s", argv[i]);
		fprintf(stderr, ": %s (%d)\n", strerror(-rc), rc);
	}
	return rc;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "all";
	bool all = !strcmp(what, "all");
	int rc = 0;

	if (!strcmp(what, "pnet"))
		return pnet_cmd(argv[0], argc - 2, argv + 2) ? 1 : 0;
	if (!strcmp(what, "ueid")) {
		if (argc != 4 || strcmp(argv[2], "add"))
			die_usage(argv[0]);
		rc = smc_nl_add_ueid(argv[3]);
		if (rc)
			fprintf(stderr, "smc_info: ueid add %s: %s (%d)\n",
				argv[3], strerror(-rc), rc);
		return rc ? 1 : 0;
	}
	if (argc > 2)
		die_usage(argv[0]);
	if (!strcmp(what, "links"))
		return show_links() ? 1 : 0;
	if (!strcmp(what, "sockets"))
		return show_sockets() ? 1 : 0;
	if (!all && strcmp(what, "info") && strcmp(what, "device") &&
	    strcmp(what, "linkgroup") && strcmp(what, "stats"))
		die_usage(argv[0]);
	if (!strcmp(what, "info") || all)
		rc |= show_info();
	if (!strcmp(what, "device") || all)
		rc |= show_devices();
	if (!strcmp(what, "linkgroup") || all) {
		rc |= show_linkgroups();
		rc |= show_linkgroups_smcr();
	}
	if (!strcmp(what, "stats") || all)
		rc |= show_stats();
	return rc ? 1 : 0;
}
