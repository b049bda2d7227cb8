#include "engine/llm_provider.h"
