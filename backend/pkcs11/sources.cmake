# The pkcs11: signer. PKCS#11 types and constants come from p11-kit's <p11-kit/pkcs11.h>
# (Debian package libp11-kit-dev); we only use the header: modules are loaded with dlopen.
pkg_check_modules(P11KIT REQUIRED p11-kit-1)
set(LTS_PKCS11_SOURCES pkcs11/pkcs11.c pkcs11/p11_uri.c pkcs11/p11_module.c)
list(APPEND LTS_BACKEND_SOURCES ${LTS_PKCS11_SOURCES})
set_source_files_properties(${LTS_PKCS11_SOURCES} PROPERTIES
  INCLUDE_DIRECTORIES "${P11KIT_INCLUDE_DIRS}")
