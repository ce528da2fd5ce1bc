package catalog

// The product vocabulary of the supplier spreadsheet (SPEC §2). Policies
// refer to these names; what each means for compliance lives in the policy
// data, not here.

// Categories lists every product category a supplier may declare.
var Categories = []string{
	"smart_camera", "video_doorbell", "baby_monitor", "smart_speaker", "smart_display", "smart_tv",
	"streaming_device", "router", "mesh_wifi", "smart_hub", "smart_lock", "smart_plug", "smart_lighting",
	"thermostat", "smoke_alarm", "security_alarm", "robot_vacuum", "smart_appliance", "wearable",
	"fitness_tracker", "connected_toy", "smartphone", "tablet", "laptop", "desktop", "ev_charger",
	"smart_meter", "medical_device", "non_connected",
}

// NonConnected is the one category outside every connected-product rule.
const NonConnected = "non_connected"

// MarketCodes lists the market codes products may be offered in.
var MarketCodes = []string{"UK", "EU", "SG", "AU", "US"}

// PasswordModels lists how a product's default credentials may be set up.
var PasswordModels = []string{"unique_per_device", "user_defined", "no_password", "universal_default"}

// Channels are where a product is sold.
var Channels = []string{"retail", "procurement"}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// IsCategory reports whether s is a known category.
func IsCategory(s string) bool { return contains(Categories, s) }

// IsMarket reports whether s is a known market code.
func IsMarket(s string) bool { return contains(MarketCodes, s) }

// IsPasswordModel reports whether s is a known password model.
func IsPasswordModel(s string) bool { return contains(PasswordModels, s) }
