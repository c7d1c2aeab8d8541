// Command terraform-schema-provider serves one provider's published schema over the plugin
// protocol (version 6), so OpenTofu can `init`, `validate` and `test` (with mock_provider)
// modules written for a provider that cannot be built here (ADR 0901).
//
//	terraform-schema-provider SCHEMA.json
//
// SCHEMA.json is what scripts/terraform/provider_schema.py writes: the shape of
// `tofu providers schema -json` for one provider. The server answers schema and validation
// calls only; planning, applying or reading real infrastructure fails with an error that
// says so, because nothing behind it talks to a cloud.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

type jsonAttribute struct {
	Type       json.RawMessage `json:"type"`
	NestedType *jsonObject     `json:"nested_type"`
	Required   bool            `json:"required"`
	Optional   bool            `json:"optional"`
	Computed   bool            `json:"computed"`
	Sensitive  bool            `json:"sensitive"`
}

type jsonObject struct {
	Attributes  map[string]jsonAttribute `json:"attributes"`
	NestingMode string                   `json:"nesting_mode"`
}

type jsonBlock struct {
	Attributes map[string]jsonAttribute `json:"attributes"`
	BlockTypes map[string]struct {
		NestingMode string    `json:"nesting_mode"`
		Block       jsonBlock `json:"block"`
		MinItems    int64     `json:"min_items"`
		MaxItems    int64     `json:"max_items"`
	} `json:"block_types"`
}

type jsonSchema struct {
	Version int64     `json:"version"`
	Block   jsonBlock `json:"block"`
}

type jsonDocument struct {
	Provider    jsonSchema            `json:"provider"`
	Resources   map[string]jsonSchema `json:"resource_schemas"`
	DataSources map[string]jsonSchema `json:"data_source_schemas"`
}

var blockModes = map[string]tfprotov6.SchemaNestedBlockNestingMode{
	"single": tfprotov6.SchemaNestedBlockNestingModeSingle,
	"list":   tfprotov6.SchemaNestedBlockNestingModeList,
	"set":    tfprotov6.SchemaNestedBlockNestingModeSet,
	"map":    tfprotov6.SchemaNestedBlockNestingModeMap,
}

var objectModes = map[string]tfprotov6.SchemaObjectNestingMode{
	"single": tfprotov6.SchemaObjectNestingModeSingle,
	"list":   tfprotov6.SchemaObjectNestingModeList,
	"set":    tfprotov6.SchemaObjectNestingModeSet,
	"map":    tfprotov6.SchemaObjectNestingModeMap,
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func attributes(in map[string]jsonAttribute, where string) ([]*tfprotov6.SchemaAttribute, error) {
	out := make([]*tfprotov6.SchemaAttribute, 0, len(in))
	for _, name := range sortedKeys(in) {
		a := in[name]
		attr := &tfprotov6.SchemaAttribute{Name: name, Required: a.Required, Optional: a.Optional, Computed: a.Computed, Sensitive: a.Sensitive}
		if a.NestedType != nil {
			inner, err := attributes(a.NestedType.Attributes, where+"."+name)
			if err != nil {
				return nil, err
			}
			mode, ok := objectModes[a.NestedType.NestingMode]
			if !ok {
				return nil, fmt.Errorf("%s.%s: unknown nesting mode %q", where, name, a.NestedType.NestingMode)
			}
			attr.NestedType = &tfprotov6.SchemaObject{Attributes: inner, Nesting: mode}
		} else {
			t, err := tftypes.ParseJSONType(a.Type)
			if err != nil {
				return nil, fmt.Errorf("%s.%s: %w", where, name, err)
			}
			attr.Type = t
		}
		out = append(out, attr)
	}
	return out, nil
}

func block(in jsonBlock, where string) (*tfprotov6.SchemaBlock, error) {
	attrs, err := attributes(in.Attributes, where)
	if err != nil {
		return nil, err
	}
	out := &tfprotov6.SchemaBlock{Attributes: attrs}
	for _, name := range sortedKeys(in.BlockTypes) {
		b := in.BlockTypes[name]
		inner, err := block(b.Block, where+"."+name)
		if err != nil {
			return nil, err
		}
		mode, ok := blockModes[b.NestingMode]
		if !ok {
			return nil, fmt.Errorf("%s.%s: unknown nesting mode %q", where, name, b.NestingMode)
		}
		out.BlockTypes = append(out.BlockTypes, &tfprotov6.SchemaNestedBlock{TypeName: name, Block: inner, Nesting: mode, MinItems: b.MinItems, MaxItems: b.MaxItems})
	}
	return out, nil
}

func schemas(in map[string]jsonSchema) (map[string]*tfprotov6.Schema, error) {
	out := make(map[string]*tfprotov6.Schema, len(in))
	for name, s := range in {
		b, err := block(s.Block, name)
		if err != nil {
			return nil, err
		}
		out[name] = &tfprotov6.Schema{Version: s.Version, Block: b}
	}
	return out, nil
}

// server embeds the interface so the RPCs a schema cannot answer (functions, ephemeral and
// list resources) need no code: none of the modules use them, and a call would fail loudly.
type server struct {
	tfprotov6.ProviderServer
	schema *tfprotov6.GetProviderSchemaResponse
}

func cannot(what string) []*tfprotov6.Diagnostic {
	return []*tfprotov6.Diagnostic{{
		Severity: tfprotov6.DiagnosticSeverityError,
		Summary:  "schema-only provider",
		Detail:   what + " needs the real provider; this stand-in serves its schema for validate and for tests with mock_provider (docs/terraform.md)",
	}}
}

func (s *server) GetMetadata(context.Context, *tfprotov6.GetMetadataRequest) (*tfprotov6.GetMetadataResponse, error) {
	resp := &tfprotov6.GetMetadataResponse{ServerCapabilities: s.schema.ServerCapabilities}
	for _, name := range sortedKeys(s.schema.ResourceSchemas) {
		resp.Resources = append(resp.Resources, tfprotov6.ResourceMetadata{TypeName: name})
	}
	for _, name := range sortedKeys(s.schema.DataSourceSchemas) {
		resp.DataSources = append(resp.DataSources, tfprotov6.DataSourceMetadata{TypeName: name})
	}
	return resp, nil
}

func (s *server) GetProviderSchema(context.Context, *tfprotov6.GetProviderSchemaRequest) (*tfprotov6.GetProviderSchemaResponse, error) {
	return s.schema, nil
}

func (s *server) GetResourceIdentitySchemas(context.Context, *tfprotov6.GetResourceIdentitySchemasRequest) (*tfprotov6.GetResourceIdentitySchemasResponse, error) {
	return &tfprotov6.GetResourceIdentitySchemasResponse{}, nil
}

func (s *server) ValidateProviderConfig(_ context.Context, req *tfprotov6.ValidateProviderConfigRequest) (*tfprotov6.ValidateProviderConfigResponse, error) {
	return &tfprotov6.ValidateProviderConfigResponse{PreparedConfig: req.Config}, nil
}

func (s *server) ValidateResourceConfig(context.Context, *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	return &tfprotov6.ValidateResourceConfigResponse{}, nil
}

func (s *server) ValidateDataResourceConfig(context.Context, *tfprotov6.ValidateDataResourceConfigRequest) (*tfprotov6.ValidateDataResourceConfigResponse, error) {
	return &tfprotov6.ValidateDataResourceConfigResponse{}, nil
}

func (s *server) ConfigureProvider(context.Context, *tfprotov6.ConfigureProviderRequest) (*tfprotov6.ConfigureProviderResponse, error) {
	return &tfprotov6.ConfigureProviderResponse{}, nil
}

func (s *server) StopProvider(context.Context, *tfprotov6.StopProviderRequest) (*tfprotov6.StopProviderResponse, error) {
	return &tfprotov6.StopProviderResponse{}, nil
}

// UpgradeResourceState decodes stored state with the current schema (every schema here is
// version 0, so there is nothing to migrate). OpenTofu calls it for state that tests with
// mock_provider wrote, before destroying it.
func (s *server) UpgradeResourceState(_ context.Context, req *tfprotov6.UpgradeResourceStateRequest) (*tfprotov6.UpgradeResourceStateResponse, error) {
	schema, ok := s.schema.ResourceSchemas[req.TypeName]
	if !ok || req.RawState == nil {
		return &tfprotov6.UpgradeResourceStateResponse{Diagnostics: cannot("reading state of " + req.TypeName)}, nil
	}
	objectType := schema.ValueType()
	value, err := req.RawState.UnmarshalWithOpts(objectType, tfprotov6.UnmarshalOpts{ValueFromJSONOpts: tftypes.ValueFromJSONOpts{IgnoreUndefinedAttributes: true}})
	if err != nil {
		return &tfprotov6.UpgradeResourceStateResponse{Diagnostics: cannot("decoding state of " + req.TypeName + ": " + err.Error())}, nil
	}
	upgraded, err := tfprotov6.NewDynamicValue(objectType, value)
	if err != nil {
		return nil, err
	}
	return &tfprotov6.UpgradeResourceStateResponse{UpgradedState: &upgraded}, nil
}

func (s *server) PlanResourceChange(context.Context, *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	return &tfprotov6.PlanResourceChangeResponse{Diagnostics: cannot("planning")}, nil
}

func (s *server) ApplyResourceChange(context.Context, *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	return &tfprotov6.ApplyResourceChangeResponse{Diagnostics: cannot("applying")}, nil
}

func (s *server) ReadResource(context.Context, *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	return &tfprotov6.ReadResourceResponse{Diagnostics: cannot("refreshing")}, nil
}

func (s *server) ReadDataSource(context.Context, *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	return &tfprotov6.ReadDataSourceResponse{Diagnostics: cannot("reading a data source")}, nil
}

func (s *server) ImportResourceState(context.Context, *tfprotov6.ImportResourceStateRequest) (*tfprotov6.ImportResourceStateResponse, error) {
	return &tfprotov6.ImportResourceStateResponse{Diagnostics: cannot("importing")}, nil
}

func load(path string) (*tfprotov6.GetProviderSchemaResponse, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc jsonDocument
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	providerBlock, err := block(doc.Provider.Block, "provider")
	if err != nil {
		return nil, err
	}
	resources, err := schemas(doc.Resources)
	if err != nil {
		return nil, err
	}
	dataSources, err := schemas(doc.DataSources)
	if err != nil {
		return nil, err
	}
	return &tfprotov6.GetProviderSchemaResponse{
		ServerCapabilities:       &tfprotov6.ServerCapabilities{GetProviderSchemaOptional: false},
		Provider:                 &tfprotov6.Schema{Block: providerBlock},
		ResourceSchemas:          resources,
		DataSourceSchemas:        dataSources,
		Functions:                map[string]*tfprotov6.Function{},
		EphemeralResourceSchemas: map[string]*tfprotov6.Schema{},
	}, nil
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: terraform-schema-provider SCHEMA.json")
		os.Exit(2)
	}
	schema, err := load(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "terraform-schema-provider:", err)
		os.Exit(1)
	}
	if err := tf6server.Serve(os.Args[1], func() tfprotov6.ProviderServer { return &server{schema: schema} }); err != nil {
		fmt.Fprintln(os.Stderr, "terraform-schema-provider:", err)
		os.Exit(1)
	}
}
