#include "core/http_client.h"
