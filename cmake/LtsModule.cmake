# lts_add_module(NAME SOURCES a.c b.c ... [LIBS PkgConfig::X ...])
#   One folder = one module = one OBJECT library lts_<NAME>. Its folder is a PRIVATE
#   include directory (so no other module can include its *_int.h); the project root is
#   public to modules so they can include "core/err.h"; include/ is the public API.
#   All module objects are combined into libltsig (shared and static) by
#   lts_finish_library().
function(lts_add_module name)
  cmake_parse_arguments(M "" "" "SOURCES;LIBS" ${ARGN})
  add_library(lts_${name} OBJECT ${M_SOURCES})
  target_include_directories(lts_${name}
    PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}
    PUBLIC ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR})
  target_link_libraries(lts_${name} PUBLIC OpenSSL::Crypto OpenSSL::SSL Threads::Threads ${M_LIBS})
  set_property(GLOBAL APPEND PROPERTY LTS_MODULES lts_${name})
  set_property(GLOBAL APPEND PROPERTY LTS_MODULE_LIBS ${M_LIBS})
endfunction()

function(lts_finish_library)
  get_property(mods GLOBAL PROPERTY LTS_MODULES)
  get_property(libs GLOBAL PROPERTY LTS_MODULE_LIBS)
  set(objs)
  foreach(m ${mods})
    list(APPEND objs $<TARGET_OBJECTS:${m}>)
  endforeach()
  add_library(ltsig SHARED ${objs})
  add_library(ltsig_static STATIC ${objs})
  foreach(t ltsig ltsig_static)
    target_include_directories(${t} PUBLIC
      $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
      $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
    target_link_libraries(${t} PUBLIC OpenSSL::Crypto OpenSSL::SSL Threads::Threads ${libs})
  endforeach()
  set_target_properties(ltsig PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION 0)
  set_target_properties(ltsig_static PROPERTIES OUTPUT_NAME ltsig)
  install(TARGETS ltsig ltsig_static
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
endfunction()
