// Debian's libxml2 headers pull in ICU's, which clash with Foundation's; hide them (we hold
// xmlCharEncodingHandler only by pointer, so its two ICU-only trailing fields do not matter).
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <libxml/tree.h>
#include <libxml/xmlreader.h>
#include <libxml/parser.h>
