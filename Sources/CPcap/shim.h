#ifndef AUTHREPLAY_CPCAP_SHIM_H
#define AUTHREPLAY_CPCAP_SHIM_H
#include <pcap/pcap.h>

#ifdef __linux__
#include <stdint.h>
/* sync_file_range(2) is declared by <fcntl.h> only under _GNU_SOURCE, which
   Swift's Glibc module is not built with; this binds the same symbol under
   a name of our own. The recording writer starts writeback with it. */
int authreplay_sync_file_range(int fd, int64_t offset, int64_t nbytes, unsigned int flags)
    __asm__("sync_file_range");
/* SYNC_FILE_RANGE_WRITE from <linux/fs.h>: start writeback, do not wait. */
#define AUTHREPLAY_SYNC_FILE_RANGE_WRITE 2
#endif
#endif
