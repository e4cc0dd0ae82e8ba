/* nbdcached: the functions behind the CLEANUP_* attributes. */
#include <config.h>

#include <json-c/json.h>

#include "cleanup.h"

void
cleanup_free (void *ptr)
{
  free (*(void **) ptr);
}

void
cleanup_json_put (void *ptr)
{
  json_object_put (*(struct json_object **) ptr);
}

void
cleanup_unlock (pthread_mutex_t **ptr)
{
  pthread_mutex_unlock (*ptr);
}
