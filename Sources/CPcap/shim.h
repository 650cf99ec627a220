#ifndef AUTHREPLAY_CPCAP_SHIM_H
#define AUTHREPLAY_CPCAP_SHIM_H
#include <pcap/pcap.h>
#endif
