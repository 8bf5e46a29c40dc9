/* ltsig — the umbrella header. Append only. */
#ifndef LTSIG_LTSIG_H
#define LTSIG_LTSIG_H

#include "status.h"
#include "buf.h"
#include "alg.h"
#include "clock.h"
#include "level.h"
#include "signer.h"
#include "tsa.h"
#include "cades.h"
#include "report.h"
#include "validate.h"
#include "pades.h"
#include "xades.h"

#include "vdata.h"

#endif
