package pipedrivetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"strconv"
)

// formType is the content type the server validates every body as.
const formType = "application/x-www-form-urlencoded"

// asForm turns a JSON or multipart/form-data body into the form body it stands for, so
// that all three content types Pipedrive accepts are validated the same way and get the
// same answers. converted is false for any other content type, whose body is returned as
// it is; problem says why a JSON or multipart body could not be decoded.
func asForm(contentType string, body []byte) (form []byte, converted bool, problem string) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return body, false, ""
	}
	var (
		vals url.Values
		perr error
	)
	switch mt {
	case "application/json":
		vals, perr = jsonFields(body)
	case "multipart/form-data":
		vals, perr = multipartFields(body, params["boundary"])
	default:
		return body, false, ""
	}
	if perr != nil {
		return nil, true, perr.Error()
	}
	return []byte(vals.Encode()), true, ""
}

// jsonFields reads a JSON object's members as form fields: strings as they are, numbers
// as written, booleans as true or false; null is as if the member were absent. A key
// given twice stays twice, as in a form, so it is refused the same way.
func jsonFields(body []byte) (url.Values, error) {
	vals := url.Values{}
	if len(bytes.TrimSpace(body)) == 0 {
		return vals, nil // refused as an empty body, like an empty form
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("the JSON body must be an object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, badJSON(err)
		}
		key, _ := tok.(string) // json.Decoder only yields string keys inside an object
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, badJSON(err)
		}
		switch v := v.(type) {
		case nil:
		case string:
			vals.Add(key, v)
		case json.Number:
			vals.Add(key, v.String())
		case bool:
			vals.Add(key, strconv.FormatBool(v))
		default:
			return nil, errors.New(key + " - must be a string, a number or a boolean")
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, badJSON(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("the JSON body has data after the object")
	}
	return vals, nil
}

// badJSON says why a JSON body did not decode.
func badJSON(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errors.New("the JSON body could not be decoded: it ends early")
	}
	return errors.New("the JSON body could not be decoded: " + err.Error())
}

// multipartFields reads the text fields of a multipart/form-data body. A file part is
// refused: no field of these operations is a file.
func multipartFields(body []byte, boundary string) (url.Values, error) {
	if boundary == "" {
		return nil, errors.New("the multipart body has no boundary parameter in its Content-Type")
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	vals := url.Values{}
	for {
		part, err := mr.NextPart()
		switch {
		case err == io.EOF:
			return vals, nil
		case err != nil:
			return nil, errors.New("the multipart body could not be decoded: " + err.Error())
		case part.FormName() == "":
			return nil, errors.New("a multipart part has no form field name")
		case part.FileName() != "":
			return nil, errors.New(part.FormName() + " - must be a text field, not a file")
		}
		v, err := io.ReadAll(part)
		if err != nil {
			return nil, errors.New("the multipart body could not be decoded: " + err.Error())
		}
		vals.Add(part.FormName(), string(v))
	}
}

// requestForm is the body's fields for Request.Form, whichever of the three content types
// carried them; nil for any other content type or a body that does not decode.
func requestForm(contentType string, body []byte) url.Values {
	form, converted, problem := asForm(contentType, body)
	if mt, _, _ := mime.ParseMediaType(contentType); problem != "" || !converted && mt != formType {
		return nil
	}
	vals, err := url.ParseQuery(string(form))
	if err != nil {
		return nil
	}
	return vals
}
