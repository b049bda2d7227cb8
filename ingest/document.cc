#include "ingest/document.h"
