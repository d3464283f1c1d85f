// SPDX-License-Identifier: GPL-2.0
/*
 * smc_info: what smc-tools' "smcd info", "smcd device", "smcd linkgroup"
 * and "smcd stats" show, read the same way (SMC_GEN_NETLINK), for guests
 * and hosts without smc-tools.
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
	return 0;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "all";
	int rc = 0;

	if (!strcmp(what, "info") || !strcmp(what, "all"))
		rc |= show_info();
	if (!strcmp(what, "device") || !strcmp(what, "all"))
		rc |= show_devices();
	if (!strcmp(what, "linkgroup") || !strcmp(what, "all"))
		rc |= show_linkgroups();
	if (!strcmp(what, "stats") || !strcmp(what, "all"))
		rc |= show_stats();
	return rc ? 1 : 0;
}
