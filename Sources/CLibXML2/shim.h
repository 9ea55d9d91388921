// Debian's libxml2 (libxml2-dev), for SOAPKit's streaming reader: its SAX2 push parser.
#include <libxml/parser.h>
#include <libxml/SAX2.h>
#include <libxml/xmlerror.h>
