package siglip_test

import (
	"github.com/bellingcat/smart-image-sorter/models"
	"github.com/bellingcat/smart-image-sorter/models/siglip"
)

// A SigLIP model is a models.Model, so models.Open, the sorter and the notebook take it like a CLIP one.
var _ models.Model = (*siglip.Model)(nil)
