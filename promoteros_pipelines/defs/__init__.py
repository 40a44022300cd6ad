"""Each business area's Dagster definitions: one folder per area.

A few Dagster features used here are marked beta (backfill policies, a partition mapping that
allows missing upstream partitions). We use them knowingly, so their warnings are silenced
once, here, instead of being printed by every process that loads the code location.
"""

import warnings

from dagster import BetaWarning, PreviewWarning

warnings.filterwarnings("ignore", category=BetaWarning)
warnings.filterwarnings("ignore", category=PreviewWarning)
