// Renders /openapi.json with Redoc's standalone bundle (vendored beside this file; see README.md).
Redoc.init(
  '/openapi.json',
  { expandResponses: '200,201', jsonSampleExpandLevel: 3, hideHostname: true, sortPropsAlphabetically: false },
  document.getElementById('redoc'),
);
