module conveyor.local/tools/hygiene

go 1.26.8

tool (
	github.com/editorconfig-checker/editorconfig-checker/v3/cmd/editorconfig-checker
	github.com/hmarr/codeowners/cmd/codeowners
)

require (
	github.com/baulk/chardet v0.1.0 // indirect
	github.com/editorconfig-checker/editorconfig-checker/v3 v3.7.0 // indirect
	github.com/editorconfig/editorconfig-core-go/v2 v2.6.4 // indirect
	github.com/gabriel-vasile/mimetype v1.4.13 // indirect
	github.com/hmarr/codeowners v1.2.1 // indirect
	github.com/spf13/pflag v1.0.5 // indirect
	github.com/wlynxg/chardet v1.0.5 // indirect
	golang.org/x/mod v0.35.0 // indirect
	golang.org/x/text v0.37.0 // indirect
	gopkg.in/ini.v1 v1.67.0 // indirect
)
