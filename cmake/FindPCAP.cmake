# FindPCAP: libpcap, through pkg-config when it is there, else by searching.
# Defines PCAP_FOUND and the imported target PCAP::PCAP.
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(PC_PCAP QUIET libpcap)
endif()
find_path(PCAP_INCLUDE_DIR NAMES pcap/pcap.h HINTS ${PC_PCAP_INCLUDE_DIRS})
find_library(PCAP_LIBRARY NAMES pcap HINTS ${PC_PCAP_LIBRARY_DIRS})
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(PCAP REQUIRED_VARS PCAP_LIBRARY PCAP_INCLUDE_DIR VERSION_VAR PC_PCAP_VERSION)
if(PCAP_FOUND AND NOT TARGET PCAP::PCAP)
  add_library(PCAP::PCAP UNKNOWN IMPORTED)
  set_target_properties(PCAP::PCAP PROPERTIES IMPORTED_LOCATION "${PCAP_LIBRARY}"
                                              INTERFACE_INCLUDE_DIRECTORIES "${PCAP_INCLUDE_DIR}")
endif()
mark_as_advanced(PCAP_INCLUDE_DIR PCAP_LIBRARY)
