"""From approval to the public: workflow, review state, rendering, attestations, review screen."""
