# Writes OUTPUT, a C file that holds each SQL file of INPUTS (paths separated by "|") as a NUL-terminated array
# pm_sql_<name>[] (unsigned char, as the bytes are UTF-8), so that the binary carries its own schema and needs no sql/ at run time.
set(code "/* Generated from sql/ by embed_sql.cmake: do not edit. */\n")
string(REPLACE "|" ";" inputs "${INPUTS}")
foreach(path ${inputs})
  get_filename_component(name ${path} NAME_WE)
  file(READ ${path} hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(APPEND code "extern const unsigned char pm_sql_${name}[];\nconst unsigned char pm_sql_${name}[] = {${bytes}0x00};\n")
endforeach()
file(WRITE ${OUTPUT} "${code}")
